// Postgres array literals for the batch inserts' unnest($n::type[]) parameters, written here instead of by
// pg's own encoding: pg quotes and escapes every element (two regex replaces each, 17 columns × hundreds of
// events per batch), which was ~5 µs of metering's CPU per event, and Postgres parses quoted elements more
// slowly. Measured on 400-event batches: metering 11.6–13.7 → 6.8–7.3 µs per event for the insert's encoding,
// Postgres 23 → 20–21 µs (docs/decisions.md, "CPU per request").

/**
 * Text that needs no quoting in an array literal: none of its separators, quotes, backslashes or whitespace,
 * not empty, and not the word NULL (which an unquoted element would mean).
 */
const BARE = /^[A-Za-z0-9_.:+-]+$/;

/**
 * `{a,b,"c d"}`: each element bare when it can be, else quoted with `\` and `"` escaped; null (and undefined,
 * as pg wrote it) is NULL.
 */
export function textArray(values: readonly (string | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i) out += ',';
    if (v === null || v === undefined) out += 'NULL';
    else if (BARE.test(v) && !(v.length === 4 && v.toUpperCase() === 'NULL')) out += v;
    else out += `"${v.replace(/[\\"]/g, '\\$&')}"`;
  }
  return out + '}';
}

/**
 * `{1,2,3}` or `{true,false}`: numbers as JavaScript prints them (the column's type refuses what it cannot
 * hold, as it would pg's own encoding of them), booleans as Postgres reads them, null and undefined as NULL.
 */
export function scalarArray(values: readonly (number | boolean | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i) out += ',';
    out += v === null || v === undefined ? 'NULL' : String(v);
  }
  return out + '}';
}
