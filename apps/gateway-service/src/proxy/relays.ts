// Relaying a provider's answer to the client, and learning what it cost. Both relays end whatever the client
// does: a client that stops reading is cut after the stall timeout, and once it has left the upstream is read
// on (without writing) until the caller's read-on deadline aborts it, so the real usage is still learned.
import type { ServerResponse } from 'node:http';
import { apiError, type ApiError } from '@gw/contracts';
import { counter } from '@gw/platform';
import type { Dispatcher } from 'undici';
import { TokenCounter } from '@gw/tokenizer';
import { nativeAnswerTexts, NativeStreamMeter, nativeUsage } from '../surfaces/native.js';
import type { StreamTranslator } from '../surfaces/stream-translator.js';
import type { NativeSurface } from '../upstreams/upstream-config.js';
import { SseRelay } from './sse-relay.js';
import { completionTokensOf, saneUsage, type Tokens } from './usage-numbers.js';

const stalls = counter('gateway_stream_stalls_total', 'Streams cut because the client stopped reading');

/** What a served request comes to: recorded once, by the caller. */
export interface Settlement {
  status: number;
  provider: string | null;
  tokens: Tokens;
  estimated: boolean;
}

export interface RelayContext {
  res: ServerResponse;
  upstream: Dispatcher.ResponseData;
  provider: string;
  /** Set when the client has gone. */
  gone: { readonly aborted: boolean };
  /** The prompt estimated locally, for an answer that brings no usage. */
  promptEstimate: () => number;
  headers: Record<string, string>;
  requestId: string;
  stallTimeoutMs: number;
  /** Writes an error answer (when the client is still there). */
  fail: (error: ApiError) => void;
  /** The provider answered in the client's own surface (passed through): its usage fields are read. */
  native: NativeSurface | undefined;
  /** Told a natively answered Response's id before the client sees it (its owner is recorded). */
  onAnswerId?: (id: unknown) => void;
}

/** Resolves when the client can take more ('drain'), has gone ('close') or read nothing for `ms` ('stall'). */
function drained(res: ServerResponse, ms: number): Promise<'drain' | 'close' | 'stall'> {
  if (res.destroyed) return Promise.resolve('close');
  return new Promise((resolve) => {
    const done = (r: 'drain' | 'close' | 'stall') => {
      clearTimeout(timer);
      res.off('drain', onDrain).off('close', onClose);
      resolve(r);
    };
    const onDrain = () => done('drain');
    const onClose = () => done('close');
    const timer = setTimeout(() => done('stall'), ms);
    res.on('drain', onDrain).on('close', onClose);
  });
}

export async function relayStream(
  c: RelayContext,
  includeUsage: boolean,
  translator?: StreamTranslator,
): Promise<Settlement> {
  const { res } = c;
  res.writeHead(200, {
    ...c.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': c.requestId,
  });
  const meter = c.native ? new NativeStreamMeter(c.native, c.onAnswerId) : undefined;
  const relay = meter ? new SseRelay(true, undefined, meter) : new SseRelay(includeUsage, translator);
  let broke = false;
  try {
    for await (const chunk of c.upstream.body) {
      const out = relay.push(chunk as Buffer);
      if (!out || c.gone.aborted || res.destroyed) continue;
      // Backpressure: wait for a slow client rather than buffer the stream, but not forever.
      if (!res.write(out) && (await drained(res, c.stallTimeoutMs)) === 'stall') {
        stalls.inc();
        res.destroy();
      }
    }
    const rest = relay.end();
    if (!c.gone.aborted && !res.destroyed) res.end(rest);
  } catch {
    // The read-on deadline after the client left, or the upstream broke mid-stream: nothing can be retried.
    broke = !c.gone.aborted;
    res.destroy();
  }
  const usage = saneUsage(relay.usage);
  return {
    status: c.gone.aborted ? 499 : broke ? 502 : 200,
    provider: c.provider,
    tokens: usage ?? {
      prompt: meter?.prompt ?? c.promptEstimate(),
      completion: relay.completionEstimate(),
    },
    estimated: !usage,
  };
}

/** A provider's non-stream answer is held whole to read its usage: past this it is refused (502). */
const JSON_ANSWER_LIMIT = 64 * 1024 * 1024;

/** The body, or undefined when it passes `limit` bytes or breaks off (the rest is not read). */
export async function readLimited(body: AsyncIterable<unknown>, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > limit) return undefined;
      chunks.push(chunk as Buffer);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks);
}

function completionEstimate(c: RelayContext, answer: Record<string, unknown>): number {
  if (!c.native) return completionTokensOf(answer);
  const counter = new TokenCounter();
  return nativeAnswerTexts(c.native, answer).reduce((n, text) => n + counter.estimate(text), 0);
}

export async function relayJson(
  c: RelayContext,
  send: (parsed: Record<string, unknown>, raw: Buffer) => void,
) {
  const raw = await readLimited(c.upstream.body, JSON_ANSWER_LIMIT);
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = raw && (JSON.parse(raw.toString('utf8')) as Record<string, unknown>);
  } catch {
    parsed = undefined;
  }
  const usage = saneUsage(c.native ? nativeUsage(c.native, parsed?.usage) : parsed?.usage);
  const tokens = usage ?? {
    prompt: c.promptEstimate(),
    completion: parsed && typeof parsed === 'object' ? completionEstimate(c, parsed) : 0,
  };
  const settled = (status: number): Settlement => ({
    status,
    provider: c.provider,
    tokens,
    estimated: !usage,
  });
  if (c.gone.aborted) return settled(499);
  if (!raw || !parsed || typeof parsed !== 'object') {
    // The provider answered 200 and may have billed it: the prompt is billed, estimated.
    c.fail(apiError('upstream_error', `Upstream ${c.provider} sent an unreadable answer.`));
    return settled(502);
  }
  c.onAnswerId?.(parsed.id);
  send(parsed, raw);
  return settled(200);
}
