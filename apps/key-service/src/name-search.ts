// Name searches of the lists: a user's text is matched literally, never as a LIKE pattern of its own.

/** `text` as an ILIKE pattern matching names that contain it (`%`, `_` and `\` taken literally). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The SQL condition on `column` that pairs with containsPattern's `:search` parameter. */
export const nameContains = (column: string) => `${column} ILIKE :search ESCAPE '\\'`;
