// The adversarial mix: normal chat traffic and a /healthz prober, first alone (calm), then beside attackers
// (deep JSON, large messages, forged keys, slow readers). It reports what the normal traffic and the
// prober saw, the gateway's largest event-loop stall, memory and auth.verify calls (from its /metrics),
// what each attacker got, and how the slow readers' streams ended: upstream streams still open 5 s after,
// and requests the gateway never finished. Target: no single request blocks the gateway's loop for more
// than 20 ms.
//
// Alone: `set -a; . .stack/env; set +a; node bench/adversarial.mjs` (starts its own upstreams, key-service,
// auth-service and gateway from this checkout's apps/*/dist, logs under .stack/logs/bench, and writes
// bench/results/<time>-adversarial.json). From run.mjs: `benchAdversarial({ stack, keyServiceUrl })`,
// which returns { results, markdown }. BENCH_ADVERSARIAL_SECONDS sets each phase's length (10);
// BENCH_ADVERSARIAL_ATTACKERS=deepJson,largeAscii,largeCjk,forgedKeys,slowReaders picks attackers (all).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createKeyFormat } from '@gw/key-format';
import { admin, createStack, sleep } from './stack.mjs';

const SECONDS = Number(process.env.BENCH_ADVERSARIAL_SECONDS ?? 10);
/** No request may hang the bench: the unfixed gateway can take seconds per attack. */
const TIMEOUT_MS = 30_000;
const TARGET_BLOCK_MS = 20;
/** prom-client samples the loop every 10 ms, and each sample is the whole interval: idle reads ~10 ms. */
const LAG_RESOLUTION_MS = 10;
const CHAT = '/v1/chat/completions';
/** The slow readers' endpoint: the same stream relay as chat, counted apart in gateway_requests_total. */
const COMPLETIONS = '/v1/completions';

// The long reply the slow readers ask for: ~40 MB over ~11 s (5,000 frames of ~8 KB, one every 2 ms), so
// the ~4 MB the kernel buffers between the gateway and a client that reads nothing fill within ~1.3 s
// and the gateway's relay then waits on the client, and the upstream is still sending when the client
// leaves at 3 s. The demo upstream builds its reply by copying the word list once per word (quadratic:
// 20,000 words cost it ~3 s of CPU, 200,000 minutes), so the bytes come from a long upstream model name,
// which it repeats in every frame. No max_tokens: its cut to max_tokens is quadratic too.
const SLOW_MODEL = 'bench-long-reply';
const SLOW_UPSTREAM_MODEL = `${SLOW_MODEL}-${'x'.repeat(8000)}`;
const SLOW_REPLY = { replyWords: 5000, chunkDelayMs: 2 };
const SLOW_READERS = 8;
const SLOW_HOLD_MS = 3000;
/** Large messages go to a priced model on a stub upstream (see stub-upstream.mjs). */
const LARGE_MODEL = 'gpt-4o';

const json = (v) => Buffer.from(JSON.stringify(v));
const NORMAL_BODY = json({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Hello, benchmark' }],
  max_tokens: 64,
});
/** `{"model":"x","messages":[[[…]]]}` of 6 MiB: under the 8 MB body limit, ~3 million levels deep. */
function deepJsonBody(bytes = 6 * 1024 * 1024) {
  const head = '{"model":"x","messages":';
  const depth = Math.floor((bytes - head.length - 1) / 2);
  return Buffer.from(head + '['.repeat(depth) + ']'.repeat(depth) + '}');
}
const largeBody = (content) =>
  json({ model: LARGE_MODEL, messages: [{ role: 'user', content }], max_tokens: 16 });
/**
 * `width` characters from `first` on, spelling `n` in base `radix`. The tokenizer caches each word it has
 * counted, so every large message ends differently: a repeated text would cost the old code only once.
 */
const tail = (n, first, radix, width) =>
  Array.from({ length: width }, (_, i) =>
    String.fromCharCode(first + (Math.floor(n / radix ** i) % radix)),
  ).join('');
/** 64 KiB of 'a' as one word, the last 6 letters unique: ~4 s of the old quadratic token count. */
const asciiText = (n) => 'a'.repeat(64 * 1024 - 6) + tail(n, 97, 26, 6);
/** 16 Ki CJK characters (48 KiB of UTF-8), one word: ~4.5 s of the old count; 64 Ki would take minutes. */
function cjkText(n, chars = 16 * 1024) {
  const phrase = '网关在处理请求时必须保持事件循环畅通';
  return phrase.repeat(Math.ceil(chars / phrase.length)).slice(0, chars - 3) + tail(n, 0x4e00, 1000, 3);
}
const SLOW_BODY = json({ model: SLOW_MODEL, stream: true, prompt: 'Tell me everything' });

// ---------------------------------------------------------------------------------------------------
// Measuring

const tally = () => ({ ms: [], statuses: {}, errors: {}, skipped: 0 });

function record(t, r) {
  t.ms.push(r.ms);
  const bucket = r.error ? t.errors : t.statuses;
  const k = r.error ?? r.status;
  bucket[k] = (bucket[k] ?? 0) + 1;
}

function summary(t) {
  const s = [...t.ms].sort((a, b) => a - b);
  const at = (p) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : null);
  return {
    requests: s.length,
    p50: at(0.5),
    p99: at(0.99),
    max: s.length ? s[s.length - 1] : null,
    statuses: t.statuses,
    errors: t.errors,
    ...(t.skipped && { skipped: t.skipped }),
  };
}

/**
 * One HTTP request with a total time limit; never rejects. Each class of traffic has its own agent, so
 * attackers never queue behind the normal traffic's sockets or the other way round.
 */
function send(agent, url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let settled = false;
    const finish = (r) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, ms: performance.now() - t0 });
    };
    const req = httpRequest(url, {
      method,
      agent,
      headers: body
        ? { 'content-type': 'application/json', 'content-length': body.length, ...headers }
        : headers,
    });
    const timer = setTimeout(() => {
      finish({ error: 'timeout' });
      req.destroy();
    }, TIMEOUT_MS);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => finish({ status: res.statusCode, body: Buffer.concat(chunks) }));
      res.on('error', (e) => finish({ error: e.code ?? e.message }));
    });
    // An attacker's connection may be cut before its body is sent: that is an answer too, not a failure.
    req.on('error', (e) => finish({ error: e.code ?? e.message }));
    req.end(body);
  });
}

/** `once()` back to back until `end` (at most `max` times), no faster than one per `minIntervalMs`. */
async function loop(end, once, { max = 100_000, minIntervalMs = 0 } = {}) {
  for (let i = 0; i < max && Date.now() < end; i++) {
    const t0 = Date.now();
    await once();
    const wait = Math.min(minIntervalMs - (Date.now() - t0), end - Date.now());
    if (wait > 0) await sleep(wait);
  }
}

/**
 * `fire()` `perTick` times every `everyMs` until `end`, whatever the answers take (open loop: a stalled
 * gateway shows as many slow answers, not as one), with at most `maxInFlight` pending.
 */
async function ticker(end, everyMs, perTick, maxInFlight, t, fire) {
  const pending = new Set();
  while (Date.now() < end) {
    for (let i = 0; i < perTick; i++) {
      if (pending.size >= maxInFlight) {
        t.skipped += 1;
        continue;
      }
      const p = fire().then((r) => record(t, r));
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    await sleep(everyMs);
  }
  await Promise.all(pending);
}

const metric = (text, name) => {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([-+0-9.eE]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

const gatewayMetrics = async (ctx) => {
  const r = await send(ctx.agents.metrics, ctx.gatewayAdmin + '/metrics');
  return r.status === 200 ? r.body.toString('utf8') : undefined;
};

/** Reads the gateway's /metrics into the phase's maxima (prom-client resets the lag maximum at each scrape). */
async function scrape(ctx, gauges) {
  const text = await gatewayMetrics(ctx);
  if (text === undefined) return void (gauges.failed += 1);
  gauges.scrapes += 1;
  gauges.lagMax = Math.max(gauges.lagMax, metric(text, 'nodejs_eventloop_lag_max_seconds') ?? 0);
  gauges.rssMax = Math.max(gauges.rssMax, metric(text, 'process_resident_memory_bytes') ?? 0);
}

/** The sum of a counter's series whose labels include `label` (`name="value"`). */
function counterSum(text = '', name, label) {
  const series = text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} ([0-9.eE+]+)$`, 'gm'));
  return [...series].filter((m) => m[1].includes(label)).reduce((n, m) => n + Number(m[2]), 0);
}

/** /v1/completions requests the gateway has finished (any status); one it never finishes is never counted. */
const finishedCompletions = async (ctx) =>
  counterSum(await gatewayMetrics(ctx), 'gateway_requests_total', 'endpoint="completions"');

/** Keys not in the gateway's cache: each is an auth.verify to auth-service (and key-service, Postgres). */
const authLookups = (text) => counterSum(text, 'gateway_principal_lookups_total', 'result="miss"');

// ---------------------------------------------------------------------------------------------------
// Traffic

const normalChat = (ctx) =>
  send(ctx.agents.normal, ctx.gateway + CHAT, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.keys.normal}` },
    body: NORMAL_BODY,
  });

/**
 * One slow reader on a raw socket: asks for the long stream and, once its first bytes are in (≤ 30 s),
 * reads nothing for `SLOW_HOLD_MS` (Node itself buffers at most its high-water mark, ~16 KiB), then drops
 * the connection. Its status is the head in that buffer ('none' if nothing came within 30 s).
 */
function slowRead(ctx) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const { hostname, port } = new URL(ctx.gateway);
    const socket = connect(Number(port), hostname);
    socket.on('error', () => undefined); // shows as no status below
    const leave = () => {
      clearTimeout(giveUp);
      const head = socket.read();
      const status = head ? (/^HTTP\/1\.1 (\d{3})/.exec(head.toString('latin1'))?.[1] ?? 'unparsed') : 'none';
      socket.destroy();
      resolve({ status, ms: performance.now() - t0 });
    };
    const giveUp = setTimeout(leave, TIMEOUT_MS);
    // A 'readable' listener reads nothing by itself: it only says the first bytes are buffered.
    socket.once('readable', () => {
      clearTimeout(giveUp);
      setTimeout(leave, SLOW_HOLD_MS);
    });
    socket.write(
      `POST ${COMPLETIONS} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${ctx.keys.slow}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${SLOW_BODY.length}\r\n\r\n`,
    );
    socket.write(SLOW_BODY);
  });
}

/** The attackers of phase 2: each `(end) => Promise<summary>`, bounded by `end` and TIMEOUT_MS. */
function attackers(ctx) {
  let sent = 0;
  const post = (agent, body, key) => () =>
    send(agent, ctx.gateway + CHAT, {
      method: 'POST',
      headers: key ? { authorization: `Bearer ${key}` } : {},
      body: typeof body === 'function' ? body(sent++) : body,
    });
  const closedLoops = (n, once, minIntervalMs) => async (end) => {
    const t = tally();
    await Promise.all(
      Array.from({ length: n }, () => loop(end, async () => record(t, await once()), { minIntervalMs })),
    );
    return summary(t);
  };
  const keyFormat = createKeyFormat(process.env.KEY_PREFIX || undefined);
  const deep = deepJsonBody();
  return {
    // Closed loops, each at most 10/s (60 MB/s): once the gateway refuses them cheaply, this bounds the
    // bytes the 2 shared cores spend copying bodies, so the phases compare stalls, not bandwidth.
    deepJson: closedLoops(3, post(ctx.agents.deep, deep), 100),
    largeAscii: closedLoops(
      1,
      post(ctx.agents.large, (n) => largeBody(asciiText(n)), ctx.keys.quota),
      50,
    ),
    largeCjk: closedLoops(
      1,
      post(ctx.agents.large, (n) => largeBody(cjkText(n)), ctx.keys.quota),
      50,
    ),
    // ~200/s whatever the answers take, each a fresh key with a valid checksum (CRC32 is public).
    forgedKeys: async (end) => {
      const t = tally();
      await ticker(end, 10, 2, 400, t, () =>
        send(ctx.agents.forged, ctx.gateway + CHAT, {
          method: 'POST',
          headers: { authorization: `Bearer ${keyFormat.generate()}` },
          body: NORMAL_BODY,
        }),
      );
      return summary(t);
    },
    slowReaders: async (end) => {
      const t = tally();
      const finishedBefore = await finishedCompletions(ctx);
      let lastLeft = Date.now();
      await Promise.all(
        Array.from({ length: SLOW_READERS }, () =>
          loop(end, async () => {
            record(t, await slowRead(ctx));
            lastLeft = Date.now();
          }),
        ),
      );
      const upstream = await openStreamsAfter(ctx, lastLeft);
      // Counted once the gateway is idle again: whatever it has not finished (and billed) by then, it is
      // not working on, it is waiting forever.
      const idleAfterMs = await untilIdle(ctx);
      const finished = (await finishedCompletions(ctx)) - finishedBefore;
      const stats = await upstreamStats(ctx);
      return {
        ...summary(t),
        upstream: { ...upstream, idleAfterMs, stats, gatewayNeverFinished: t.ms.length - finished },
      };
    },
  };
}

/** BENCH_ADVERSARIAL_ATTACKERS=deepJson,slowReaders runs only those (all by default). */
function selected(all) {
  const only = process.env.BENCH_ADVERSARIAL_ATTACKERS?.split(',').filter(Boolean);
  return only?.length ? Object.fromEntries(Object.entries(all).filter(([k]) => only.includes(k))) : all;
}

/** One phase: normal traffic, the prober and the scraper for SECONDS, beside `attack` (name → runner). */
async function phase(ctx, attack = {}) {
  const gauges = { lagMax: 0, rssMax: 0, scrapes: 0, failed: 0 };
  // Not a sample: prom-client's lag maximum restarts here, and the counters are read before and after.
  const before = await gatewayMetrics(ctx);
  const end = Date.now() + SECONDS * 1000;
  const own = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  own.enable();
  const normal = tally();
  const health = tally();
  const attacks = Object.entries(attack).map(async ([name, run]) => [name, await run(end)]);
  await Promise.all([
    ...Array.from({ length: 4 }, () => loop(end, async () => record(normal, await normalChat(ctx)))),
    ticker(end, 20, 1, 200, health, () => send(ctx.agents.health, ctx.gateway + '/healthz')),
    loop(end, () => scrape(ctx, gauges), { minIntervalMs: 1000 }),
  ]);
  await scrape(ctx, gauges); // the last second (and any stall still under way)
  own.disable();
  return {
    normal: summary(normal),
    healthz: summary(health),
    loopLagMaxMs: gauges.lagMax * 1000,
    rssMaxMB: gauges.rssMax / 2 ** 20,
    scrapes: gauges.scrapes,
    failedScrapes: gauges.failed,
    benchLoopMaxMs: own.max / 1e6,
    attackers: Object.fromEntries(await Promise.all(attacks)),
    // After the attackers: every forged key they sent has had its answer.
    authLookups: authLookups(await gatewayMetrics(ctx)) - authLookups(before),
  };
}

/** The long-reply upstream's counters: requests, completed (written in full), aborted, inFlight. */
async function upstreamStats(ctx) {
  const r = await send(ctx.agents.metrics, ctx.slowUpstream + '/__stats');
  return r.status === 200 ? JSON.parse(r.body) : null;
}

/** Waits (≤ 60 s) until /healthz answers within 50 ms three times running; returns how long that took. */
async function untilIdle(ctx) {
  const t0 = Date.now();
  for (let fast = 0; fast < 3 && Date.now() - t0 < 60_000; await sleep(200)) {
    const r = await send(ctx.agents.metrics, ctx.gateway + '/healthz');
    fast = r.status === 200 && r.ms < 50 ? fast + 1 : 0;
  }
  return Date.now() - t0;
}

/** Upstream streams the slow readers left open: 5 s after the last one left, then until none (≤ 15 s). */
async function openStreamsAfter(ctx, lastLeft) {
  // The demo upstream counts the /__stats request itself as in flight.
  const open = async () => ((await upstreamStats(ctx))?.inFlight ?? 0) - 1;
  const since = () => Date.now() - lastLeft;
  await sleep(Math.max(0, 5000 - since()));
  const openAfter5s = await open();
  // A stalled machine can make the check itself late: say when it was made.
  const checkedAfterMs = since();
  let closedAfterMs = openAfter5s <= 0 ? checkedAfterMs : null;
  while (closedAfterMs === null && since() < 15_000) {
    await sleep(500);
    if ((await open()) <= 0) closedAfterMs = since();
  }
  return { openAfter5s, checkedAfterMs, closedAfterMs };
}

// ---------------------------------------------------------------------------------------------------
// Set-up

async function createKeys(keyService) {
  // A tier with no RPM: the normal key's requests take no limit at all, as run.mjs's c=1 floor would.
  await admin(keyService, 'PUT', '/v1/tiers/bench-open', { rpm: null, models: ['*'] });
  const account = await admin(keyService, 'POST', '/v1/accounts', {
    name: 'bench-adversarial',
    tier: 'bench-open',
  });
  const create = async (name, settings = {}) =>
    (
      await admin(keyService, 'POST', '/v1/keys', {
        name: `${name}-${Date.now()}`,
        owner: { type: 'account', id: account.id },
        ...settings,
      })
    ).key;
  return {
    normal: await create('adv-normal'),
    // A quota makes the gateway price the request's worst case, which counts the prompt's tokens.
    quota: await create('adv-quota', { quota: { type: 'total', limit: 1000 } }),
    slow: await create('adv-slow'),
  };
}

async function startServices(stack, keyServiceUrl, gatewayEnv) {
  const { start, node } = stack;
  const demo = node('apps/demo-upstream/dist/main.js');
  const normalUpstream = await start('adversarial-demo-upstream', ...demo, () => ({}));
  const slowUpstream = await start('adversarial-long-reply-upstream', ...demo, () => ({
    DEMO_MODELS: SLOW_UPSTREAM_MODEL,
  }));
  const res = await fetch(slowUpstream + '/__control', {
    method: 'POST',
    body: JSON.stringify(SLOW_REPLY),
  });
  if (!res.ok) throw new Error(`long-reply upstream: /__control answered ${res.status}`);
  const stub = await start('adversarial-stub-upstream', ...node('bench/stub-upstream.mjs'), () => ({}));
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-adversarial-'));
  const upstreamsFile = join(dir, 'upstreams.json');
  writeFileSync(
    upstreamsFile,
    JSON.stringify({
      providers: [
        { name: 'demo', baseUrl: `${normalUpstream}/v1`, models: ['gpt-4o-mini'] },
        { name: 'stub', baseUrl: `${stub}/v1`, models: [LARGE_MODEL] },
        {
          name: 'long-reply',
          baseUrl: `${slowUpstream}/v1`,
          models: [{ name: SLOW_MODEL, upstreamModel: SLOW_UPSTREAM_MODEL, maxOutputTokens: 16384 }],
        },
      ],
    }),
  );
  let keyService = keyServiceUrl;
  if (!keyService) {
    keyService = await start('adversarial-key-service', ...node('apps/key-service/dist/main.js'), () => ({}));
    await start('adversarial-auth-service', ...node('apps/auth-service/dist/main.js'), () => ({}));
  }
  const gateway = await start(
    'adversarial-gateway-service',
    ...node('apps/gateway-service/dist/main.js'),
    () => ({ UPSTREAMS_FILE: upstreamsFile, USAGE_SPOOL_DIR: join(dir, 'spool'), ...gatewayEnv }),
  );
  return { gateway, gatewayAdmin: stack.adminUrl(gateway), keyService, slowUpstream };
}

// ---------------------------------------------------------------------------------------------------
// Report

const ms = (v) => (v === null || v === undefined ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(0));
const counts = (o) =>
  Object.entries(o)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ') || '–';
const triple = (s) => `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`;

const ATTACKER_LABELS = {
  deepJson: '(a) deep JSON: 3 loops, 6 MiB `[[[…]]]`, no key',
  largeAscii: "(b) large message: 64 KiB of 'a', key with a quota",
  largeCjk: '(b) large message: 16 Ki CJK characters, key with a quota',
  forgedKeys: '(c) forged keys: ~200/s, each new with a valid checksum',
  slowReaders: `(d) slow readers: ${SLOW_READERS}, from their first bytes ${SLOW_HOLD_MS / 1000} s without reading, then gone`,
};

function markdown(r) {
  const { calm, adversarial: adv } = r.phases;
  const row = (label, f) => `| ${label} | ${f(calm)} | ${f(adv)} |`;
  const stall = adv.loopLagMaxMs - LAG_RESOLUTION_MS;
  const slow = adv.attackers.slowReaders?.upstream;
  return [
    `### Adversarial mix (${r.seconds} s per phase)`,
    '',
    '| measure | calm | adversarial |',
    '| --- | --- | --- |',
    row('normal chat p50 / p99 / max ms (4 closed loops)', (p) => triple(p.normal)),
    row(
      'normal chat answers',
      (p) => `${p.normal.requests} (${counts({ ...p.normal.statuses, ...p.normal.errors })})`,
    ),
    row('/healthz p50 / p99 / max ms (every 20 ms)', (p) => triple(p.healthz)),
    row(
      '/healthz answers',
      (p) =>
        `${p.healthz.requests} (${counts({ ...p.healthz.statuses, ...p.healthz.errors })})` +
        (p.healthz.skipped ? `, ${p.healthz.skipped} not sent (200 pending)` : ''),
    ),
    row('largest event-loop delay ms (incl. 10 ms sampling)', (p) => ms(p.loopLagMaxMs)),
    row('max RSS MB', (p) => p.rssMaxMB.toFixed(0)),
    row('auth.verify calls (keys not in the gateway cache)', (p) => String(p.authLookups)),
    row('bench client: its own largest loop delay ms', (p) => ms(p.benchLoopMaxMs)),
    '',
    '| attacker | requests | statuses | errors | p50 / max ms |',
    '| --- | --- | --- | --- | --- |',
    ...Object.entries(adv.attackers).map(
      ([name, s]) =>
        `| ${ATTACKER_LABELS[name]} | ${s.requests}${s.skipped ? ` (+${s.skipped} not sent: too many pending)` : ''} | ${counts(s.statuses)} | ${counts(s.errors)} | ${ms(s.p50)} / ${ms(s.max)} |`,
    ),
    '',
    ...(slow
      ? [
          `Slow readers: ${slow.openAfter5s} upstream streams still open 5 s after the last slow reader left ` +
            `(checked after ${(slow.checkedAfterMs / 1000).toFixed(1)} s; ` +
            (slow.closedAfterMs !== null
              ? `none left after ${(slow.closedAfterMs / 1000).toFixed(1)} s). `
              : 'some still open after 15 s). ') +
            `Once the gateway was idle again (${(slow.idleAfterMs / 1000).toFixed(1)} s later)` +
            (slow.stats
              ? `, the long-reply upstream had received ${slow.stats.requests} streams (${slow.stats.aborted} cut short, ${slow.stats.completed} written in full),`
              : '') +
            ` and the gateway had not finished ${slow.gatewayNeverFinished} of the ${adv.attackers.slowReaders.requests} ` +
            "slow readers' requests (not in gateway_requests_total: never billed, their relays still waiting).",
        ]
      : []),
    `Target — no request blocks the gateway's loop for more than ${TARGET_BLOCK_MS} ms: largest delay in the ` +
      `adversarial phase ${ms(adv.loopLagMaxMs)} ms, i.e. a stall of at least ${ms(Math.max(0, stall))} ms ` +
      `(${stall <= TARGET_BLOCK_MS ? 'met' : 'not met'}).`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------

/**
 * Runs both phases. `stack` from stack.mjs (its processes are the caller's to stop); `keyServiceUrl` reuses
 * a running key-service (and the auth-service beside it), else both are started; `gatewayEnv` adds settings.
 */
export async function benchAdversarial({ stack, keyServiceUrl, gatewayEnv = {} }) {
  const services = await startServices(stack, keyServiceUrl, gatewayEnv);
  const agent = (maxSockets) => new Agent({ keepAlive: true, maxSockets });
  const agents = {
    normal: agent(4),
    health: agent(200),
    metrics: agent(2),
    deep: agent(3),
    large: agent(2),
    forged: agent(64),
  };
  const ctx = { ...services, agents, keys: await createKeys(services.keyService) };
  try {
    const first = await normalChat(ctx);
    if (first.status !== 200) throw new Error(`a normal request answered ${first.status ?? first.error}`);
    // Warm-up: JIT, connection pools, the principal cache.
    const warm = Date.now() + 2000;
    await Promise.all(Array.from({ length: 4 }, () => loop(warm, () => normalChat(ctx))));

    const calm = await phase(ctx);
    const adversarial = await phase(ctx, selected(attackers(ctx)));
    const results = { seconds: SECONDS, phases: { calm, adversarial } };
    results.targetMet = adversarial.loopLagMaxMs - LAG_RESOLUTION_MS <= TARGET_BLOCK_MS;
    return { results, markdown: markdown(results) };
  } finally {
    for (const a of Object.values(agents)) a.destroy();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stack = createStack();
  try {
    const { results, markdown: table } = await benchAdversarial({ stack });
    console.log('\n' + table);
    const outDir = join(stack.root, 'bench/results');
    mkdirSync(outDir, { recursive: true });
    const at = new Date().toISOString();
    const report = { at, cpus: cpus().length, cpu: cpus()[0]?.model, adversarial: results };
    writeFileSync(
      join(outDir, `${at.replace(/[:.]/g, '-')}-adversarial.json`),
      JSON.stringify(report, null, 2) + '\n',
    );
  } finally {
    await stack.stop();
  }
}
