// The little of HTTP the hot routes need, on Node's own request/response: the body with a size and nesting
// bound, the client address (through trusted proxies only), a request id, and JSON answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiError, type IpRange, ipInRanges } from '@gw/contracts';
import type { ResponsesEcho } from '../surfaces/responses-request.js';
import { JsonShapeScanner, type ShapeLimits, type ShapeProblem } from './json-shape.js';
import { usageId } from '../usage/usage-id.js';

export interface HotRequest {
  /** Echoed as x-request-id: the client's own when it sent a valid one. */
  id: string;
  /**
   * The id usage is recorded and deduplicated under: always the gateway's own, so a client that repeats an
   * x-request-id cannot make a second request look like a duplicate of the first (and go unbilled). Time-ordered
   * (usage/usage-id.ts).
   */
  usageId: string;
  ip: string;
  authorization: string | undefined;
  /** Arrival, on performance.now()'s clock: the overhead histogram, the duration metric and usage latency. */
  started: number;
  /** The outcome recorded in metrics when it differs from the HTTP status (a stream that broke after 200). */
  outcome?: number;
  /** The error body of the request's surface, when not OpenAI's envelope (Anthropic's on /v1/messages). */
  envelope?: (error: ApiError) => string;
  /** A Responses API request's own fields, which its answer repeats. */
  echo?: ResponsesEcho;
}

const REQUEST_ID = /^[\w.-]{1,64}$/;

export function requestIds(req: IncomingMessage): { id: string; usageId: string } {
  const given = req.headers['x-request-id'];
  const own = usageId();
  return { id: typeof given === 'string' && REQUEST_ID.test(given) ? given : own, usageId: own };
}

/** The socket address, or — when that is a trusted proxy — the nearest untrusted X-Forwarded-For entry. */
export function clientIp(req: IncomingMessage, trusted: readonly IpRange[]): string {
  const remote = req.socket.remoteAddress ?? '';
  if (!trusted.length || !ipInRanges(remote, trusted)) return remote;
  const xff = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(xff) ? xff.join(',') : (xff ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!ipInRanges(hops[i], trusted)) return hops[i];
  return hops[0] ?? remote;
}

export type BodyRead =
  | { ok: true; body: Buffer }
  | { ok: false; reason: 'too_large' | 'aborted' }
  | { ok: false; reason: 'shape'; problem: ShapeProblem };

/**
 * The body, refused as soon as it passes `limit` bytes or a shape bound (nesting, elements, a repeated
 * top-level key): each chunk is scanned as it arrives, so no costly body is ever held or parsed whole.
 */
export function readBody(req: IncomingMessage, limit: number, shape: ShapeLimits): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.resolve({ ok: false, reason: 'too_large' });
  // The client left while the key was being checked: its 'close' has already passed.
  if (req.destroyed) return Promise.resolve({ ok: false, reason: 'aborted' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const scanner = new JsonShapeScanner(shape);
    let size = 0;
    const stop = (result: BodyRead) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      resolve(result);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) return stop({ ok: false, reason: 'too_large' });
      const problem = scanner.push(c);
      if (problem) return stop({ ok: false, reason: 'shape', problem });
      chunks.push(c);
    };
    const onEnd = () => stop({ ok: true, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) });
    const onError = () => stop({ ok: false, reason: 'aborted' });
    const onClose = () => {
      if (!req.complete) stop({ ok: false, reason: 'aborted' });
    };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
  id: string,
) {
  if (res.headersSent || res.destroyed) return;
  const head: Record<string, string | number> = {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': id,
  };
  // An answer before the body was read (a refused key, a body over a bound): close the connection rather than
  // read the rest of an upload nobody wants.
  if (!res.req.complete) head.connection = 'close';
  res.writeHead(status, head);
  res.end(body);
}
