// The shape of a JSON body, checked chunk by chunk as it arrives, so a body that would be costly to parse is
// refused before anything is parsed: nesting past a depth (JSON.parse of 3M nested arrays takes seconds),
// more elements than a budget (8 MiB of `[{},{},…]` parses in about a second), and a repeated top-level key
// (the gateway reads the last one, a provider may read the first: `"model"` twice would call one model and
// bill another). Hand-written because no library checks these incrementally without building the tree; see
// docs/decisions.md.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
/** JSON.parse's cost relative to a scalar (measured): an object or array ×8, a distinct key ×16. */
const CONTAINER_COST = 8;
const KEY_COST = 16;
/** Longer keys are none of the gateway's fields (an escaped "max_completion_tokens" is 126 bytes). */
const MAX_KEY_BYTES = 256;

export type ShapeProblem = 'too_deep' | 'too_many_values' | { duplicate: string };

export interface ShapeLimits {
  maxDepth: number;
  /** Budget of elements: each value after a comma counts 1, each object or array 8, each key 16. */
  maxValues: number;
}

export class JsonShapeScanner {
  private depth = 0;
  private cost = 0;
  private inString = false;
  private escaped = false;
  private topIsObject = false;
  /** At depth 1 of the top-level object, where the next string is a key. */
  private expectKey = false;
  private key: number[] | undefined;
  private readonly keys = new Set<string>();

  constructor(private readonly limits: ShapeLimits) {}

  /** The first problem seen, or undefined while the body is acceptable so far. */
  push(chunk: Uint8Array): ShapeProblem | undefined {
    const { maxDepth, maxValues } = this.limits;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.inString) {
        if (this.key && this.key.length <= MAX_KEY_BYTES) this.key.push(c);
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          const problem = this.key && this.endKey();
          if (problem) return problem;
        }
      } else if (c === QUOTE) {
        this.inString = true;
        if (this.expectKey) {
          this.key = [];
          this.expectKey = false;
        }
      } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        if (this.depth === 0 && c === OPEN_OBJECT) {
          this.topIsObject = true;
          this.expectKey = true;
        }
        if (++this.depth > maxDepth) return 'too_deep';
        if ((this.cost += CONTAINER_COST) > maxValues) return 'too_many_values';
      } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) this.depth--;
      else if (c === COLON) {
        if ((this.cost += KEY_COST) > maxValues) return 'too_many_values';
      } else if (c === COMMA) {
        if ((this.cost += 1) > maxValues) return 'too_many_values';
        if (this.depth === 1 && this.topIsObject) this.expectKey = true;
      }
    }
    return undefined;
  }

  private endKey(): ShapeProblem | undefined {
    const raw = this.key!;
    this.key = undefined;
    if (raw.length > MAX_KEY_BYTES) return undefined;
    let name = Buffer.from(raw.slice(0, -1)).toString('utf8');
    if (name.includes('\\')) {
      try {
        name = JSON.parse(`"${name}"`) as string;
      } catch {
        return undefined; // not valid JSON: JSON.parse of the body refuses it
      }
    }
    if (this.keys.has(name)) return { duplicate: name };
    this.keys.add(name);
    return undefined;
  }
}
