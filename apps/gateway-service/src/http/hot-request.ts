// The little of HTTP the hot routes need, on Node's own request/response: body with a limit, the client
// address (through trusted proxies only), a request id, and JSON answers.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type IpRange, ipInRanges } from '@gw/contracts';

export interface HotRequest {
  /** Echoed as x-request-id: the client's own when it sent a valid one. */
  id: string;
  /**
   * The id usage is recorded and deduplicated under: always the gateway's own, so a client that repeats an
   * x-request-id cannot make a second request look like a duplicate of the first (and go unbilled).
   */
  usageId: string;
  ip: string;
  authorization: string | undefined;
  rawBody: Buffer | undefined;
}

const REQUEST_ID = /^[\w.-]{1,64}$/;

export function requestIds(req: IncomingMessage): { id: string; usageId: string } {
  const given = req.headers['x-request-id'];
  const own = randomUUID();
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

/** The body, or 'too_large' past `limit` bytes (then the rest is not read). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.resolve('too_large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve('too_large');
      } else chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
  id: string,
) {
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': id,
  });
  res.end(body);
}
