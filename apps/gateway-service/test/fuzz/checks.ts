// What every answer must be, whatever was sent, and the tally of what came back.
import { ERROR_CATALOGUE, type ErrorCode } from '@gw/contracts';
import type { Answer, Reset } from './wire.js';

/** The only 5xx the gateway may answer: a provider failed or timed out, or a dependency is down. */
const UPSTREAM_5XX = new Set<string>(['upstream_error', 'upstream_timeout', 'service_unavailable']);
const REQUEST_ID = /^[\w.-]{1,64}$/;
// Version 4 (the framework's routes) or 7 (the hot routes: the usage id, time-ordered).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[47][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export class Violation extends Error {}

function fail(message: string, a: Answer): never {
  const body = a.body.toString('utf8');
  throw new Violation(
    `${message}\n  answer: ${a.status} ${JSON.stringify(a.headers)}\n  body: ${body.length > 600 ? body.slice(0, 600) + '…' : body}`,
  );
}

export interface Expectations {
  /** The x-request-id header(s) sent, if any. */
  requestId: string | string[] | undefined;
  /** Node refused (some of) the bytes as HTTP: an answer may come before any header was read (a new id). */
  unparsed?: boolean;
  /** The request carries no working key for a route that needs one: no 2xx. */
  refusedKey: boolean;
  /** Whether the request asked for a stream (asked only of a 2xx stream: it parses the body). */
  stream: () => boolean;
  /** A HEAD request: headers only. */
  head: boolean;
  /** The body was really compressed: a gateway that does not decompress cannot serve it. */
  compressed: boolean;
}

/** Parses the OpenAI envelope or fails; returns its code. */
export function envelopeCode(a: Answer): ErrorCode {
  let json: any;
  try {
    json = JSON.parse(a.body.toString('utf8'));
  } catch {
    return fail('a non-2xx JSON answer whose body is not JSON', a);
  }
  const e = json?.error;
  const shape =
    json &&
    typeof json === 'object' &&
    Object.keys(json).length === 1 &&
    e &&
    typeof e === 'object' &&
    typeof e.message === 'string' &&
    typeof e.type === 'string' &&
    typeof e.code === 'string' &&
    (typeof e.param === 'string' || e.param === null) &&
    Object.keys(e).sort().join() === 'code,message,param,type';
  if (!shape) fail("a non-2xx JSON answer not in OpenAI's envelope {error:{message,type,code,param}}", a);
  const entry = (ERROR_CATALOGUE as Record<string, { status: number; type: string }>)[e.code];
  if (!entry) fail(`an error code outside the catalogue: ${e.code}`, a);
  if (entry.type !== e.type) fail(`error type ${e.type} for code ${e.code} (catalogue: ${entry.type})`, a);
  if (entry.status !== a.status)
    fail(`status ${a.status} for code ${e.code} (catalogue: ${entry.status})`, a);
  return e.code as ErrorCode;
}

const isJson = (a: Answer) =>
  /^application\/json/i.test(String(a.headers['content-type'] ?? '')) ||
  (!a.headers['content-type'] && a.body.length > 0 && a.body[0] === 0x7b);

/** Checks one answer; returns the error code it carried (if any) for the tally. */
export function checkAnswer(a: Answer, x: Expectations): ErrorCode | undefined {
  if (!Number.isInteger(a.status) || a.status < 100 || a.status > 599) fail('a status outside 100–599', a);
  let code: ErrorCode | undefined;
  const ok = a.status >= 200 && a.status < 300;
  if (!ok && isJson(a) && !x.head) {
    code = envelopeCode(a);
    const id = a.headers['x-request-id'];
    if (typeof id !== 'string' || !id) fail('an error answer without an x-request-id header', a);
  }
  if (a.status >= 500) {
    if (a.status !== 502 && a.status !== 503 && a.status !== 504) fail(`a ${a.status}`, a);
    if (!code || !UPSTREAM_5XX.has(code)) fail(`a ${a.status} that is not an upstream's (code ${code})`, a);
  }
  // The request id rule of the hot routes and the framework alike: a valid one is echoed, else a new UUID.
  const id = a.headers['x-request-id'];
  if (typeof id === 'string') {
    // HTTP drops spaces and tabs around a header value.
    const sent = typeof x.requestId === 'string' ? x.requestId.replace(/^[ \t]+|[ \t]+$/g, '') : undefined;
    if (sent !== undefined && REQUEST_ID.test(sent)) {
      if (id !== sent && !(x.unparsed && UUID.test(id)))
        fail(`x-request-id ${id} instead of the valid one sent, ${sent}`, a);
    } else if (!UUID.test(id))
      fail(`x-request-id ${JSON.stringify(id)} is neither the one sent nor a UUID`, a);
  }
  if (x.head && a.body.length) fail('an answer to HEAD with a body', a);
  if (x.refusedKey && ok) fail('a 2xx answer to a request without a working key', a);
  if (x.compressed && ok) fail('a 2xx answer to a compressed body (the gateway does not decompress)', a);
  if (ok && !x.head) {
    const type = String(a.headers['content-type'] ?? '');
    if (type.startsWith('text/event-stream')) {
      if (!x.stream()) fail('a stream nobody asked for', a);
      if (!/data: \[DONE\]\s*$/.test(a.body.toString('utf8')))
        fail('a stream that does not end with [DONE]', a);
    } else if (type.startsWith('application/json')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(a.body.toString('utf8'));
      } catch {
        fail('a 2xx JSON answer that is not JSON', a);
      }
      if (!parsed || typeof parsed !== 'object') fail('a 2xx JSON answer that is not an object', a);
    }
  }
  return code;
}

export function describeReset(r: Reset): string {
  return `no answer: the connection closed (${r.error}) after ${r.bodySent ? 'the whole body was sent' : 'part of the body'}`;
}

/** Counts by status and error code, per property and in all. */
export class Tally {
  readonly byProperty = new Map<string, Map<string, number>>();
  cases = 0;

  add(property: string, status: number | 'reset', code: string | undefined) {
    this.cases++;
    const key = code ? `${status} ${code}` : String(status);
    const m = this.byProperty.get(property) ?? new Map<string, number>();
    m.set(key, (m.get(key) ?? 0) + 1);
    this.byProperty.set(property, m);
  }

  all(): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of this.byProperty.values()) for (const [k, n] of m) out.set(k, (out.get(k) ?? 0) + n);
    return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
  }

  format(m: Map<string, number>): string {
    return [...m]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ');
  }
}
