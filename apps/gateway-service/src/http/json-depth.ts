// Nesting depth of a JSON text, checked chunk by chunk as the body arrives: a deeply nested body is refused
// before anything is parsed (JSON.parse of 3M nested arrays takes seconds and hundreds of MB). Hand-written
// because no library checks depth incrementally without building the tree; see docs/decisions.md.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

export class JsonDepthScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly max: number) {}

  /** False as soon as the nesting passes the bound. Quotes and backslashes are ASCII, so UTF-8 needs no decoding. */
  push(chunk: Uint8Array): boolean {
    let { depth, inString, escaped } = this;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
      } else if (c === QUOTE) inString = true;
      else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        if (++depth > this.max) return false;
      } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    return true;
  }
}
