// Deterministic completions: the same request always gets the same text, so tests can assert exact usage.
import { createHash } from 'node:crypto';
import { countTextTokens } from '@gw/tokenizer';

const WORDS = (
  'the gateway answered this request deterministically so that every test can count its tokens ' +
  'exactly and every benchmark run compares like with like'
).split(' ');

// Two-, three- and four-byte UTF-8 characters, to catch clients that decode each network chunk on its own.
const MULTI_BYTE = ['é', '漢', '😀'];

export interface ReplyOptions {
  /** Shifts where the text starts, so each choice of one request gets its own text (0 = the plain reply). */
  variant?: number;
  /** Ends every word with a multi-byte character. */
  multiByte?: boolean;
}

/** Reply text: up to `words` words, cut to at most `maxTokens` tokens when given. */
export function replyText(seed: string, words: number, maxTokens?: number, opts: ReplyOptions = {}): string {
  const start = createHash('sha256').update(seed).digest()[0] + (opts.variant ?? 0);
  const out: string[] = [];
  // Words tokenize on their own (leading space included), so a running sum keeps this linear.
  let tokens = 0;
  for (let i = 0; i < words; i++) {
    const word =
      WORDS[(start + i) % WORDS.length] + (opts.multiByte ? MULTI_BYTE[i % MULTI_BYTE.length] : '');
    if (maxTokens !== undefined) {
      tokens += countTextTokens(i === 0 ? word : ' ' + word);
      if (tokens > maxTokens) break;
    }
    out.push(word);
  }
  return out.join(' ');
}

/** Pieces of a reply for streaming: one word (with its leading space) per chunk. */
export function streamPieces(text: string): string[] {
  return text.split(' ').map((w, i) => (i === 0 ? w : ' ' + w));
}

/** A stable id for a tool call of one request's choice. */
export function toolCallId(seed: string, index: number): string {
  return 'call_' + createHash('sha256').update(`${index}\u0000${seed}`).digest('hex').slice(0, 24);
}

export function embedding(input: string, dimensions: number): number[] {
  const digest = createHash('sha256').update(input).digest();
  return Array.from({ length: dimensions }, (_, i) => (digest[i % digest.length] - 128) / 128);
}
