// Deterministic completions: the same request always gets the same text, so tests can assert exact usage.
import { createHash } from 'node:crypto';
import { countTextTokens } from '@gw/tokenizer';

const WORDS = (
  'the gateway answered this request deterministically so that every test can count its tokens ' +
  'exactly and every benchmark run compares like with like'
).split(' ');

/** Reply text: up to `words` words, cut to at most `maxTokens` tokens when given. */
export function replyText(seed: string, words: number, maxTokens?: number): string {
  const start = createHash('sha256').update(seed).digest()[0] % WORDS.length;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    const next = [...out, WORDS[(start + i) % WORDS.length]];
    if (maxTokens !== undefined && countTextTokens(next.join(' ')) > maxTokens) break;
    out.push(next[next.length - 1]);
  }
  return out.join(' ');
}

/** Pieces of a reply for streaming: one word (with its leading space) per chunk. */
export function streamPieces(text: string): string[] {
  return text.split(' ').map((w, i) => (i === 0 ? w : ' ' + w));
}

export function embedding(input: string, dimensions: number): number[] {
  const digest = createHash('sha256').update(input).digest();
  return Array.from({ length: dimensions }, (_, i) => (digest[i % digest.length] - 128) / 128);
}
