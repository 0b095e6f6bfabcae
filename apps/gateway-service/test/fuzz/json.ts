// JSON texts a fuzzer needs and JSON.stringify cannot write: verbatim tokens (numbers past the float range,
// invalid UTF-8, unescaped lone surrogates) and objects with duplicate keys.
import fc from 'fast-check';

/** Written as it is: a number token JSON.stringify would round, or bytes that are not UTF-8. */
export class Raw {
  constructor(readonly text: string | Uint8Array) {}
  [fc.toStringMethod]() {
    return typeof this.text === 'string'
      ? `raw(${JSON.stringify(this.text)})`
      : `raw(0x${Buffer.from(this.text).toString('hex')})`;
  }
}

/** An object as a list of members, in order, keys repeated as they come. */
export class Entries {
  constructor(readonly list: readonly (readonly [string, Json])[]) {}
  [fc.toStringMethod]() {
    return `{${this.list.map(([k, v]) => `${JSON.stringify(k)}: ${fc.stringify(v)}`).join(', ')}}`;
  }
}

export type Json =
  null | boolean | number | string | Raw | Entries | readonly Json[] | { readonly [key: string]: Json };

export function encode(value: Json): Buffer {
  const out: Buffer[] = [];
  let text = '';
  const flush = () => {
    if (text) out.push(Buffer.from(text, 'utf8'));
    text = '';
  };
  const write = (v: Json): void => {
    if (v instanceof Raw) {
      if (typeof v.text === 'string') text += v.text;
      else {
        flush();
        out.push(Buffer.from(v.text));
      }
    } else if (v instanceof Entries) {
      text += '{';
      v.list.forEach(([k, x], i) => {
        text += `${i ? ',' : ''}${JSON.stringify(k)}:`;
        write(x);
      });
      text += '}';
    } else if (Array.isArray(v)) {
      text += '[';
      (v as readonly Json[]).forEach((x, i) => {
        if (i) text += ',';
        write(x);
      });
      text += ']';
    } else if (v !== null && typeof v === 'object') {
      write(new Entries(Object.entries(v)));
    } else text += JSON.stringify(v) ?? 'null';
  };
  write(value);
  flush();
  return out.length === 1 ? out[0] : Buffer.concat(out);
}

/** Nesting depth of a parsed JSON value, as the gateway's scanner counts it (`[]` and `{}` are 1). */
export function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  let deepest = 0;
  for (const x of Array.isArray(v) ? v : Object.values(v)) deepest = Math.max(deepest, depthOf(x));
  return deepest + 1;
}
