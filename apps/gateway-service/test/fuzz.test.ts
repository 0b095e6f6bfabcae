// Property-based fuzzing (fast-check) of every public route: whatever a client sends — bodies, headers, keys,
// content types and encodings, methods, paths, raw HTTP — the gateway answers with no 5xx that is not an
// upstream's, in OpenAI's envelope with a request id, never crashes or hangs, does not stall its event loop,
// and serves a normal request afterwards. FUZZ_RUNS cases in all (1,000 in `npm test`, 20,000 in
// `npm run test:fuzz`); FUZZ_SEED replays a run's inputs; FUZZ_CONCURRENCY requests go out at once.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fc from 'fast-check';
import {
  anyBody,
  type Auth,
  body,
  type Case,
  type Endpoint,
  headerChoices,
  HOT_POST_PATHS,
  type KeyName,
  method,
  path,
  plainHeaders,
  ROUTES,
  toCase,
  validBody,
  type WireCase,
  wireCase,
  carriesKey,
  deepest,
  show,
} from './fuzz/arbitraries.js';
import { checkAnswer, describeReset, Tally, Violation } from './fuzz/checks.js';
import { depthOf } from './fuzz/json.js';
import { type Answer, type Reset, sendHttp, sendRaw } from './fuzz/wire.js';
import {
  client,
  startGateway,
  startUpstream,
  startWorld,
  type Upstream,
  upstreamsFile,
  type World,
} from './harness.js';

const positive = (v: string | undefined, fallback: number) =>
  v && Number.isInteger(Number(v)) && Number(v) > 0 ? Number(v) : fallback;
const RUNS = positive(process.env.FUZZ_RUNS, 1000);
const LANES = positive(process.env.FUZZ_CONCURRENCY, 4);
const SEED = positive(process.env.FUZZ_SEED, Math.floor(Math.random() * 2 ** 31));
/** Each request's whole answer, stream included, must come within this: past it the case is a hang. */
const ANSWER_TIMEOUT_MS = 15_000;
/**
 * The largest event-loop stall allowed over the whole run. Deliberately generous — speed is measured by the
 * bench, never by a timed assertion — so it cannot flake on a loaded machine, yet catches what fuzzing is
 * for: an input that makes the gateway do quadratic (or worse) work on its one event loop.
 */
const MAX_STALL_MS = 1_000;
const MAX_JSON_DEPTH = 32; // the gateway's default (MAX_JSON_DEPTH)
/** More of a body than this left unread when the server closes, and the close is a reset. */
const UNREAD_BYTES = 64 * 1024;
/** Node's bound on a request's head: past it the server answers 431 and reads nothing more. */
const MAX_HEADER_BYTES = 16 * 1024;

/** Shares of FUZZ_RUNS per property. */
const SHARE = { bodies: 0.45, headers: 0.25, routes: 0.1, everything: 0.1, wire: 0.1 } as const;
const runsOf = (p: keyof typeof SHARE) => Math.max(LANES, Math.round(RUNS * SHARE[p]));
const timeoutOf = (p: keyof typeof SHARE) => 60_000 + runsOf(p) * 150;

let world: World;
let upstream: Upstream;
let gw: Awaited<ReturnType<typeof startGateway>>;
let base: URL;
const keys = {} as Record<KeyName, string>;
const tally = new Tally();
const slowest = new Map<string, { ms: number; what: string }>();
const stalls = new Map<string, number>();
const overall = monitorEventLoopDelay({ resolution: 10 });
let routeErrorsBefore = 0;
const started = performance.now();

/** Errors thrown synchronously by the gateway's request handler, by the client port of their connection. */
const thrown = new Map<number, unknown>();
/** Errors node's HTTP server reported instead of a request (clientError), by client port. */
const refused = new Map<number, string>();
/** Errors that reached the process (the gateway runs in this one). */
const escaped: unknown[] = [];
const onEscape = (err: unknown) => escaped.push(err);

const routeErrors = async () => {
  const text = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
  return Number(/^gateway_route_errors_total (\d+)/m.exec(text)?.[1] ?? 0);
};

beforeAll(async () => {
  [world, upstream] = await Promise.all([startWorld(), startUpstream()]);
  gw = await startGateway({
    upstreamsFile: upstreamsFile([{ name: 'demo', url: upstream.url }]),
    // Forged keys have their own tests (auth-flood): here they must not turn everything into 429.
    failedAuthPerMinute: 1_000_000,
    // Loopback is a trusted proxy, so X-Forwarded-For is read (and its garbage parsed) as behind a real one.
    trustedProxies: ['127.0.0.1', '::1'],
  });
  base = new URL(gw.url);
  const owner = await world.admin.account('enterprise');
  keys.plain = (await world.admin.key(owner)).key;
  keys.metered = (await world.admin.key(owner, { quota: { type: 'monthly', limit: 1_000_000 } })).key;
  keys.limited = (
    await world.admin.key(await world.admin.account('enterprise'), {
      quota: { type: 'total', limit: 0.01 },
      rpm: 10,
    })
  ).key;
  keys.narrow = (
    await world.admin.key(owner, {
      allowedModels: ['gpt-4o-mini'],
      ipAllowlist: ['127.0.0.1', '10.0.0.0/8', '2001:db8::/32'],
    })
  ).key;
  // A throw out of the request listener would reach the process and leave its request unanswered; caught
  // here, it fails the case that caused it (so fast-check can shrink it) instead of a whole test.
  const server = gw.app.getHttpServer() as Server;
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    try {
      for (const l of listeners) l.call(server, req, res);
    } catch (err) {
      thrown.set(req.socket.remotePort ?? 0, err);
      res.destroy();
    }
  });
  // What node's HTTP server refused before any handler saw a request (its answer is the framework's).
  // (First, while the socket still knows its peer: the framework's listener destroys it.)
  server.prependListener(
    'clientError',
    (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
      const raw = err.rawPacket ? ` at ${show(err.rawPacket.toString('latin1').slice(0, 200))}` : '';
      if (socket.remotePort) refused.set(socket.remotePort, `${err.code ?? ''} ${err.message}${raw}`);
    },
  );
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  routeErrorsBefore = await routeErrors();
  console.log(`fuzz: FUZZ_RUNS=${RUNS}, FUZZ_SEED=${SEED} replays these inputs, ${LANES} requests at once`);
  overall.enable();
}, 60_000);

afterAll(async () => {
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
  await gw?.close();
  await Promise.all([world?.stop(), upstream?.stop()]);
});

function authorization(a: Auth): string | undefined {
  switch (a.kind) {
    case 'none':
      return undefined;
    case 'key':
      return a.scheme + keys[a.key] + a.after;
    case 'typo': {
      const k = keys[a.key];
      const i = a.at % k.length;
      const c = a.char === k[i] ? (k[i] === 'a' ? 'b' : 'a') : a.char;
      return `Bearer ${k.slice(0, i)}${c}${k.slice(i + 1)}`;
    }
    case 'value':
      return a.value;
  }
}

const hotPath = (method: string, p: string) => {
  const bare = p.split('?')[0];
  return (
    (method === 'POST' && HOT_POST_PATHS.includes(bare)) ||
    (method === 'GET' && (bare === '/v1/models' || bare.startsWith('/v1/models/')))
  );
};

/**
 * The body as the gateway parses it, when it is JSON (else undefined). Not the megabyte bodies (shallow,
 * never streams): parsing them here would put the test's own work into the loop stall it measures.
 */
function parsed(b: Buffer | undefined): unknown {
  if (!b || b.length > 1024 * 1024) return undefined;
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    return undefined;
  }
}

interface Sent {
  /** A route behind a key (and, for POST, one that reads the body). */
  hot: boolean;
  method: string;
  authorization: string | undefined;
  requestId: string | string[] | undefined;
  body: Buffer | undefined;
  compressed: boolean;
  /** Bytes of the request line and headers. */
  headBytes: number;
  /** For the report of the slowest answer. */
  what: string;
}

/** Every property of one answer, and the tally; throws a Violation naming what broke. */
function judge(property: string, a: Answer | Reset, x: Sent) {
  if (a.port !== undefined && thrown.has(a.port)) {
    const err = thrown.get(a.port);
    thrown.delete(a.port);
    throw new Violation(
      `the gateway threw out of its request handler: ${(err as Error)?.stack ?? String(err)}`,
    );
  }
  const parseError = a.port !== undefined ? refused.get(a.port) : undefined;
  if (a.port !== undefined) refused.delete(a.port);
  const refusal = parseError ? `\n  node's HTTP server refused the request: ${parseError}` : '';
  if (a.status === 'reset') {
    // An answer before the body was read (a bad key, an unknown route, a body or a head past a bound)
    // closes the connection: while the body is still going out, or with more of the request left unread
    // than the socket buffers, the close is a reset and the answer is lost on the way. Else: no answer.
    if (a.bodySent && (x.body?.length ?? 0) <= UNREAD_BYTES && x.headBytes <= MAX_HEADER_BYTES)
      throw new Violation(describeReset(a) + refusal);
    tally.add(property, 'reset', undefined);
    return;
  }
  const readsBody = x.hot && x.method === 'POST';
  let json: unknown = undefined;
  const body = () => (json === undefined ? (json = parsed(x.body) ?? null) : json);
  let code: string | undefined;
  try {
    code = checkAnswer(a, {
      requestId: x.requestId,
      unparsed: parseError !== undefined,
      refusedKey: x.hot && !carriesKey(x.authorization, Object.values(keys)),
      stream: () => (body() as { stream?: unknown } | null)?.stream === true,
      head: x.method === 'HEAD',
      compressed: x.compressed,
    });
  } catch (err) {
    if (err instanceof Violation) err.message += refusal;
    throw err;
  }
  // The nesting bound, both ways: a body within it is never refused for depth, one past it never served.
  if (readsBody && code === 'invalid_request' && a.body.includes('nested deeper') && body() !== null) {
    const depth = depthOf(body());
    if (depth <= MAX_JSON_DEPTH)
      throw new Violation(`a body ${depth} deep was refused as nested deeper than ${MAX_JSON_DEPTH}`);
  }
  if (readsBody && a.status < 300 && body() !== null && depthOf(body()) > MAX_JSON_DEPTH)
    throw new Violation(`a body ${depthOf(body())} deep was served (${a.status})`);
  tally.add(property, a.status, code);
  const slow = slowest.get(property);
  if (!slow || a.ms > slow.ms) slowest.set(property, { ms: a.ms, what: x.what });
}

async function deliver(property: string, c: Case) {
  const headers = { ...c.headers };
  const auth = authorization(c.auth);
  if (auth !== undefined) headers.authorization = auth;
  const a = await sendHttp(base, { ...c, headers }, ANSWER_TIMEOUT_MS);
  const headBytes = Object.entries(headers).reduce(
    (n, [k, v]) => n + k.length + String(v).length + 4,
    c.path.length,
  );
  judge(property, a, {
    hot: hotPath(c.method, c.path),
    method: c.method,
    authorization: auth,
    requestId: c.headers['x-request-id'],
    body: c.body,
    compressed: c.compressed,
    headBytes,
    what: `${c.method} ${show(c.path.slice(0, 80))} (${c.body ? `${c.body.length} B body` : 'no body'}, ${c.auth.kind} auth)`,
  });
}

async function deliverRaw(property: string, w: WireCase) {
  const auth = authorization(w.auth);
  const lines = w.lines.flatMap((l) =>
    l !== '{auth}' ? [l] : auth === undefined ? [] : [`Authorization: ${auth}`],
  );
  const head = Buffer.from(`${w.requestLine}${w.eol}${lines.join(w.eol)}${w.eol}${w.eol}`, 'latin1');
  const a = await sendRaw(base, head, w.body, ANSWER_TIMEOUT_MS);
  const [m, target] = w.requestLine.split(' ');
  const ids = lines.filter((l) => /^x-request-id:/i.test(l)).map((l) => l.slice(l.indexOf(':') + 1).trim());
  judge(property, a, {
    hot: hotPath(m, target ?? ''),
    method: m,
    authorization: auth,
    requestId: ids.length > 1 ? ids : ids[0],
    body: w.payload,
    compressed: false,
    headBytes: head.length,
    what: `${show(w.requestLine.slice(0, 80))} (${w.body.length} B framed body)`,
  });
}

/** Runs `runs` cases of a property in LANES concurrent fast-check runs (seeds SEED+i), shrinking failures. */
async function fuzz<T>(property: keyof typeof SHARE, arb: fc.Arbitrary<T>, run: (v: T) => Promise<void>) {
  const runs = runsOf(property);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const t0 = performance.now();
  const lanes = Array.from({ length: LANES }, (_, i) => ({
    seed: (SEED + i * 1_000_003 + property.length * 7919) % 2 ** 31,
    numRuns: Math.floor(runs / LANES) + (i < runs % LANES ? 1 : 0),
  }));
  const results = await Promise.all(
    lanes.map(({ seed, numRuns }) =>
      fc.check(fc.asyncProperty(arb, run), { seed, numRuns, includeErrorInReport: true }),
    ),
  );
  loop.disable();
  stalls.set(property, loop.max / 1e6);
  const slow = slowest.get(property);
  const ran = results.reduce((n, r) => n + r.numRuns, 0);
  const shrinks = results.reduce((n, r) => n + r.numShrinks, 0);
  const stopped = results.some((r) => r.failed) ? ' (each failing lane stops at its first failure)' : '';
  console.log(
    `fuzz ${property}: ${ran} of ${runs} cases run${stopped}, ${shrinks} shrink steps, ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s; largest loop stall ${(loop.max / 1e6).toFixed(1)} ms ` +
      `(p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms); slowest answer ` +
      `${slow ? `${slow.ms.toFixed(0)} ms: ${slow.what}` : '-'}\n  ` +
      tally.format(tally.byProperty.get(property) ?? new Map()),
  );
  const failures = results.filter((r) => r.failed).map((r) => fc.defaultReportMessage(r));
  if (failures.length) throw new Error(failures.join('\n\n'));
}

/** Which route a case goes to: every POST route, and GET /v1/models now and then. */
const route = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(...(Object.keys(ROUTES) as Endpoint[])) },
  { weight: 1, arbitrary: fc.constant('models' as const) },
);

describe('fuzzing every public route', () => {
  it(
    'bodies: any JSON, wrong types, bytes, cut and deep texts, unicode, huge numbers, duplicate keys',
    () =>
      fuzz(
        'bodies',
        fc.oneof(
          {
            weight: 10,
            arbitrary: route.chain((r) =>
              r === 'models'
                ? fc
                    .tuple(plainHeaders, fc.option(validBody('chat')))
                    .map(([h, b]) => toCase('bodies', 'GET', '/v1/models', h, b ?? undefined))
                : fc.tuple(plainHeaders, body(r)).map(([h, b]) => toCase('bodies', 'POST', ROUTES[r], h, b)),
            ),
          },
          {
            // The same bodies to paths the framework answers (404): it reads and parses them too.
            weight: 1,
            arbitrary: fc
              .tuple(
                fc.constantFrom('/v1/chat/completions/', '/v1/completion', '/nope', '/healthz'),
                plainHeaders,
                fc.oneof({ weight: 19, arbitrary: body('chat') }, { weight: 1, arbitrary: deepest }),
              )
              .map(([p, h, b]) => toCase('bodies', 'POST', p, h, b)),
          },
        ),
        (c) => deliver('bodies', c),
      ),
    timeoutOf('bodies'),
  );

  it(
    'headers: keys and schemes, content types and encodings, request ids, forwarded-for, host',
    () =>
      fuzz(
        'headers',
        route.chain((r) =>
          r === 'models'
            ? headerChoices.map((h) => toCase('headers', 'GET', '/v1/models', h, undefined))
            : fc
                .tuple(
                  headerChoices,
                  fc.oneof({ weight: 3, arbitrary: validBody(r) }, { weight: 1, arbitrary: body(r) }),
                )
                .map(([h, b]) => toCase('headers', 'POST', ROUTES[r], h, b)),
        ),
        (c) => deliver('headers', c),
      ),
    timeoutOf('headers'),
  );

  it(
    'methods and paths: unknown routes and wrong methods are 404/405, never 5xx',
    () =>
      fuzz(
        'routes',
        fc
          .tuple(
            method,
            path,
            plainHeaders,
            fc.oneof(
              { weight: 18, arbitrary: validBody('chat') },
              { weight: 9, arbitrary: fc.constant(undefined) },
              { weight: 1, arbitrary: deepest },
            ),
          )
          .map(([m, p, h, b]) => toCase('routes', m, p, h, m === 'GET' || m === 'HEAD' ? undefined : b)),
        (c) => deliver('routes', c),
      ),
    timeoutOf('routes'),
  );

  it(
    'everything at once: any method, path, headers and body',
    () =>
      fuzz(
        'everything',
        fc
          .tuple(
            fc.oneof({ weight: 3, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: method }),
            fc.oneof(
              { weight: 3, arbitrary: fc.constantFrom(...HOT_POST_PATHS, '/v1/models') },
              { weight: 1, arbitrary: path },
            ),
            headerChoices,
            fc.option(anyBody, { freq: 6 }),
          )
          .map(([m, p, h, b]) => toCase('everything', m, p, h, m === 'HEAD' ? undefined : (b ?? undefined))),
        (c) => deliver('everything', c),
      ),
    timeoutOf('everything'),
  );

  it(
    'raw HTTP/1.1: broken request lines, header lines and body framing',
    () => fuzz('wire', wireCase, (w) => deliverRaw('wire', w)),
    timeoutOf('wire'),
  );

  it('leaves the gateway alive and serving, with nothing escaped and no loop stall past the bound', async () => {
    overall.disable();
    const stall = overall.max / 1e6;
    console.log(
      `fuzz total: ${tally.cases} answers checked in ${((performance.now() - started) / 1000).toFixed(1)} s ` +
        `(start-up included); largest event-loop stall ${stall.toFixed(1)} ms (bound ${MAX_STALL_MS} ms; ` +
        `by property: ${[...stalls].map(([p, ms]) => `${p} ${ms.toFixed(1)}`).join(', ')})\n` +
        `  statuses: ${tally.format(tally.all())}`,
    );
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    const answer = await client(gw.url, keys.plain).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(answer.choices[0].message.content).toBeTruthy();
    expect(escaped).toEqual([]);
    expect([...thrown.values()]).toEqual([]);
    // Nothing reached the hot routes' error boundary (a 500, or a stream cut by an error of ours).
    expect(await routeErrors()).toBe(routeErrorsBefore);
    if (stall >= MAX_STALL_MS)
      throw new Error(
        `the event loop stalled ${stall.toFixed(0)} ms (bound ${MAX_STALL_MS} ms); the slowest answers: ` +
          [...slowest].map(([p, s]) => `${p}: ${s.ms.toFixed(0)} ms, ${s.what}`).join('; '),
      );
  });
});
