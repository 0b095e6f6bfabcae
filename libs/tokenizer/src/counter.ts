// Linear, bounded token counting. gpt-tokenizer's BPE is quadratic on long runs without a pretoken break
// (16 KiB of 'a' takes half a second), so text is counted in pieces of at most 128 characters, cut where
// o200k's pretokenizer would cut anyway; and one counter counts only a budget of characters exactly.
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';

// Special-token text such as `<|endoftext|>` in a prompt or an answer is text to count, not an error
// (gpt-tokenizer throws on it by default, which would turn a client's prompt into a 500).
const AS_TEXT = { disallowedSpecial: new Set<string>() };
const countTokens: CountFn = (text) => countO200k(text, AS_TEXT);

/** Characters one counter counts exactly; past it, bounds and estimates are byte-based (linear, cheap). */
export const EXACT_COUNT_CHARS = 4096;

export type CountFn = (text: string) => number;

const PIECE = 128;

const isBreak = (c: number): boolean => c === 10 || c === 13;
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

/** End of the piece starting at `start` (the text runs on past start + PIECE), negated for a hard cut. */
function pieceEnd(text: string, start: number): number {
  let afterBreak = -1;
  for (let i = start + PIECE - 1; i >= start + PIECE / 2; i--) {
    const c = text.charCodeAt(i);
    // " word" is one pretoken: cutting just before its space leaves every pretoken whole.
    if ((c === 32 || c === 9) && !isSpace(text.charCodeAt(i + 1))) return i;
    // Newlines join the punctuation before them (";\n"), so the next best cut is just after them.
    if (afterBreak < 0 && !isBreak(c) && isBreak(text.charCodeAt(i - 1))) afterBreak = i;
  }
  if (afterBreak >= 0) return afterBreak;
  const end = start + PIECE;
  const last = text.charCodeAt(end - 1);
  return -(last >= 0xd800 && last <= 0xdbff ? end - 1 : end); // never between a surrogate pair's halves
}

/**
 * Sum of `exact` over pieces of at most 128 characters: linear, and equal to the whole count for prose and
 * code. After a hard cut (no whitespace to cut at) the pieces now and then count a token fewer than the
 * whole text (BPE merges are greedy, not optimal), so an upper bound adds `perHardCut` per hard cut.
 */
export function countChunked(text: string, exact: CountFn = countTokens, perHardCut = 0): number {
  let total = 0;
  let start = 0;
  while (text.length - start > PIECE) {
    let end = pieceEnd(text, start);
    if (end < 0) {
      end = -end;
      total += perHardCut;
    }
    total += exact(text.slice(start, end));
    start = end;
  }
  return start < text.length ? total + exact(start === 0 ? text : text.slice(start)) : total;
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Counts for one request: exact up to a character budget shared by all its calls, byte-based past it. */
export class TokenCounter {
  private left: number;
  private countedChars = 0;
  private countedTokens = 0;

  /** `exact` is injectable so tests can see how much text reaches the tokenizer. */
  constructor(
    budgetChars: number = EXACT_COUNT_CHARS,
    private readonly exact: CountFn = countTokens,
  ) {
    this.left = Math.max(0, budgetChars);
  }

  /** An upper bound for reservations: exact (chunked) while the budget lasts, then the UTF-8 byte length of the rest (each o200k token is at least one byte). */
  bound(text: string): number {
    const { tokens, rest } = this.take(text, 1);
    return rest ? tokens + utf8Bytes(rest) : tokens;
  }

  /** An estimate for billing: exact while the budget lasts, then the rest extrapolated from the tokens-per-char ratio counted so far by this counter (ceil(bytes / 4) if nothing was counted yet). */
  estimate(text: string): number {
    const { tokens, rest } = this.take(text, 0);
    if (!rest) return tokens;
    const more =
      this.countedChars > 0
        ? Math.ceil((rest.length * this.countedTokens) / this.countedChars)
        : Math.ceil(utf8Bytes(rest) / 4);
    return tokens + more;
  }

  /** Counts the part of `text` the budget still covers; returns that count and the uncounted rest. */
  private take(text: string, perHardCut: number): { tokens: number; rest: string } {
    let cut = Math.min(text.length, Math.floor(this.left));
    if (cut < text.length && cut > 0) {
      const c = text.charCodeAt(cut - 1);
      if (c >= 0xd800 && c <= 0xdbff) cut--;
    }
    const head = cut === text.length ? text : text.slice(0, cut);
    const tokens = head ? countChunked(head, this.exact, perHardCut) : 0;
    this.left -= cut;
    this.countedChars += cut;
    this.countedTokens += tokens;
    return { tokens, rest: cut === text.length ? '' : text.slice(cut) };
  }
}
