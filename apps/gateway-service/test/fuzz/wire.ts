// Sending a case: HTTP/1.1 written by hand on a fresh socket per request (no case inherits a connection's
// state from the one before, and a shrunk counterexample replays alone), and the answer parsed by hand.
// Not node's HTTP client: it shares one pool of HTTP parsers with node's server, and in this process (where
// the gateway runs too) answers broken at the HTTP level then broke later, unrelated server connections.
import type { IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  ms: number;
  /** The client's port: the gateway side of the connection sees it as the remote port. */
  port: number | undefined;
}

/** The connection closed without an answer. */
export interface Reset {
  status: 'reset';
  error: string;
  /** Every byte of the request was written. */
  bodySent: boolean;
  ms: number;
  port: number | undefined;
}

export interface Outgoing {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  /** false: no Host header at all. */
  host: boolean;
  body: Buffer | undefined;
  /** The body goes out in this many writes: chunked, unless a content-length header was given. */
  pieces: number;
}

export class Hang extends Error {}

/** Methods whose empty body a client declares (`content-length: 0`), as node's client does. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** A request as node's client would write it (host, framing, `connection: close`), piece by piece. */
export function sendHttp(base: URL, o: Outgoing, timeoutMs: number): Promise<Answer | Reset> {
  const lines = [`${o.method} ${o.path || '/'} HTTP/1.1`]; // as node's client: no path is /
  const named = new Set(Object.keys(o.headers).map((k) => k.toLowerCase()));
  for (const [k, v] of Object.entries(o.headers)) for (const one of [v].flat()) lines.push(`${k}: ${one}`);
  if (o.host && !named.has('host')) lines.push(`Host: ${base.host}`);
  // An answer to HEAD is read to the close (to see a body it must not have): that close is asked for.
  if (!named.has('connection') || o.method === 'HEAD') lines.push('Connection: close');
  const body = o.body ?? Buffer.alloc(0);
  const parts: Buffer[] = [];
  const declared = named.has('content-length');
  if (body.length && !declared && o.pieces > 1) {
    lines.push('Transfer-Encoding: chunked');
    const step = Math.ceil(body.length / o.pieces);
    for (let at = 0; at < body.length; at += step) {
      const piece = body.subarray(at, at + step);
      parts.push(
        Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]),
      );
    }
    parts.push(Buffer.from('0\r\n\r\n'));
  } else {
    if (!declared && (body.length || BODY_METHODS.has(o.method)))
      lines.push(`Content-Length: ${body.length}`);
    const step = Math.ceil(body.length / Math.max(1, o.pieces)) || 1;
    for (let at = 0; at < body.length; at += step) parts.push(body.subarray(at, at + step));
  }
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  return exchange(base, [head, ...parts], timeoutMs, o.method === 'HEAD');
}

/** Raw bytes out in one write: whatever a test made of a request line, header lines and framing. */
export function sendRaw(base: URL, head: Buffer, body: Buffer, timeoutMs: number): Promise<Answer | Reset> {
  return exchange(base, [Buffer.concat([head, body])], timeoutMs, false);
}

/**
 * Writes `parts` (a moment apart, so they arrive as separate chunks) and reads the first answer: done as
 * soon as it is whole (a server may keep the connection open after it), or with what came by the close.
 */
function exchange(base: URL, parts: Buffer[], timeoutMs: number, toHead: boolean): Promise<Answer | Reset> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = connect(Number(base.port), base.hostname);
    const chunks: Buffer[] = [];
    let port: number | undefined;
    let written = false;
    let answered: Answer | undefined;
    let error = '';
    const timer = setTimeout(() => {
      socket.destroy();
      const got = Buffer.concat(chunks).toString('latin1').slice(0, 300);
      reject(new Hang(`no answer within ${timeoutMs} ms; got ${JSON.stringify(got)}`));
    }, timeoutMs);
    socket.on('connect', () => {
      port = socket.localPort;
      void (async () => {
        for (let i = 0; i < parts.length && !socket.destroyed; i++) {
          const last = i === parts.length - 1;
          socket.write(parts[i], (err) => {
            if (!err && last) written = true;
          });
          if (!last) await tick();
        }
      })();
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const whole = parseResponse(Buffer.concat(chunks), toHead, true);
      if (whole && !answered) {
        answered = { ...whole, ms: performance.now() - t0, port };
        socket.destroy();
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on('close', () => {
      clearTimeout(timer);
      if (answered) return resolve(answered);
      const all = Buffer.concat(chunks);
      const ms = performance.now() - t0;
      const parsed = parseResponse(all, toHead);
      if (parsed) return resolve({ ...parsed, ms, port });
      const what = all.length
        ? `closed after ${JSON.stringify(all.toString('latin1').slice(0, 200))}`
        : 'closed';
      resolve({ status: 'reset', error: error ? `${error}, ${what}` : what, bodySent: written, ms, port });
    });
  });
}

/**
 * The first final (non-1xx) answer in a byte stream: status, headers and de-chunked body. With `whole`, only
 * once its body is complete (by content-length or the last chunk). An answer to HEAD is never whole before
 * the close, so that a body after it (which HEAD must not have) is seen.
 */
export function parseResponse(
  all: Buffer,
  toHead = false,
  whole = false,
): Pick<Answer, 'status' | 'headers' | 'body'> | undefined {
  let at = 0;
  for (;;) {
    const end = all.indexOf('\r\n\r\n', at);
    if (end < 0) return undefined;
    const lines = all.subarray(at, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (!m) return undefined;
    const status = Number(m[1]);
    const headers: IncomingHttpHeaders = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    at = end + 4;
    if (status < 200) continue;
    const rest = all.subarray(at);
    if (toHead) return whole ? undefined : { status, headers, body: rest };
    if (headers['transfer-encoding'] === 'chunked') {
      const [body, complete] = dechunk(rest);
      return complete || !whole ? { status, headers, body } : undefined;
    }
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (whole && rest.length < length) return undefined;
      return { status, headers, body: rest.subarray(0, length) };
    }
    return whole ? undefined : { status, headers, body: rest };
  }
}

/** A chunked body as far as it came, and whether its last chunk came. */
function dechunk(b: Buffer): [Buffer, boolean] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < b.length) {
    const eol = b.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(b.subarray(at, eol).toString('latin1'), 16);
    if (size === 0) return [Buffer.concat(out), true];
    if (!(size > 0) || eol + 2 + size + 2 > b.length) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return [Buffer.concat(out), false];
}
