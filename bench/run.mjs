// `npm run bench`, in this order: a stream's time to first byte (bench/ttfb.mjs); every process's CPU per
// request (bench/cpu.mjs): the bare proxy and the gateway with a key without limits and one with RPM, TPM and a
// monthly quota, today's code and an earlier commit's (bench/baseline.mjs) interleaved over rounds, each system
// on servers of its own (bench/system.mjs), with metering consuming the usage; the same chat request at c=1
// and c=32 against the demo upstream directly, a bare pass-through proxy, our gateway (chat and the translated
// surfaces) and Portkey's OSS gateway; CPU profiles of the gateway and metering under load; metering's
// consumer throughput and lag (bench/metering.mjs); last the adversarial mix beside normal traffic
// (bench/adversarial.mjs). Writes bench/results/.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchAdversarial } from './adversarial.mjs';
import { cpuReport, cpuRounds, pipelineDrained, processGroups } from './cpu.mjs';
import { flameMarkdown, flameSummary } from './flame.mjs';
import { benchMetering } from './metering.mjs';
import { baselineCommit, cpuKeys, startBaseline } from './baseline.mjs';
import { createStack, freePort, ROOT } from './stack.mjs';
import { databaseName, ownServers } from './system.mjs';
import { streamMarkdown, streamRounds } from './ttfb.mjs';
import { wrk } from './wrk.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CPU_SECONDS = Number(process.env.BENCH_CPU_SECONDS ?? 5);
const PROFILE = process.env.BENCH_PROFILE !== '0';
const PROFILE_TOP = Number(process.env.BENCH_PROFILE_TOP ?? 12);
// BENCH_ONLY=cpu: only the CPU rounds and the profiles, printed and not written to bench/results (to iterate).
const CPU_ONLY = process.env.BENCH_ONLY === 'cpu';
const stack = createStack(ROOT);
const { start, node, children } = stack;
/** The earlier commit's system run beside today's, when there is one (bench/baseline.mjs). */
let baseline;
/** This run's scratch directory (upstreams file, spools), removed at the end. */
let dir;

async function main() {
  // Today's system on servers and a database of its own (bench/system.mjs), as the baseline's: every process
  // the bench starts, and its own reads, use them.
  const own = await ownServers(stack, ROOT, join(ROOT, '.stack/bench'), databaseName('gateway_bench'));
  Object.assign(process.env, own.env);
  const upstream = await start('demo-upstream', ...node('apps/demo-upstream/dist/main.js'), () => ({}));
  const bare = await start(
    'bare-proxy',
    ...node('bench/bare-proxy.mjs'),
    () => ({ UPSTREAM: upstream }),
    '/',
  );
  dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const upstreamsFile = join(dir, 'upstreams.json');
  writeFileSync(
    upstreamsFile,
    JSON.stringify({ providers: [{ name: 'demo', baseUrl: `${upstream}/v1`, models: ['gpt-4o-mini'] }] }),
  );
  const keyService = await start('key-service', ...node('apps/key-service/dist/main.js'), () => ({}));
  const authService = await start('auth-service', ...node('apps/auth-service/dist/main.js'), () => ({}));
  const gatewayEnv = () => ({ UPSTREAMS_FILE: upstreamsFile, USAGE_SPOOL_DIR: join(dir, 'spool') });
  let gateway = await start('gateway-service', ...node('apps/gateway-service/dist/main.js'), gatewayEnv);
  // The usage pipeline runs as in production: its CPU belongs to each request.
  let metering = await start('metering-service', ...node('apps/metering-service/dist/main.js'), () => ({}));
  const portkeyPort = await freePort();
  const portkey = `http://127.0.0.1:${portkeyPort}`;
  if (!CPU_ONLY)
    children.push(
      spawn(
        process.execPath,
        [
          join(ROOT, 'node_modules/@portkey-ai/gateway/build/start-server.js'),
          `--port=${portkeyPort}`,
          '--headless',
        ],
        {
          // A third party's process: nothing of the stack's secrets.
          env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' },
          stdio: 'ignore',
        },
      ),
    );
  for (let i = 0; i < (CPU_ONLY ? 0 : 100); i++) {
    try {
      await fetch(portkey, { signal: AbortSignal.timeout(500) });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // A key with a (high) RPM and TPM, so every rate limit is checked in Redis, and the CPU rounds' two keys.
  const keys = await cpuKeys(keyService);
  const [key, plainKey, limitedKey] = [keys.rateLimited, keys.plain, keys.limited];
  // "Before" from the same run: an earlier commit's system beside today's (bench/baseline.mjs).
  const commit = baselineCommit();
  if (commit) {
    baseline = await startBaseline(commit, { upstreamsFile, spoolDir: join(dir, 'baseline-spool') });
    console.log(`bench: baseline ${commit.slice(0, 12)} running beside today's code`);
  }
  const before = commit && `before: ${commit.slice(0, 7)}`;

  const body = JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Hello, benchmark' }],
    max_tokens: 64,
  });
  const targets = [
    { name: 'demo upstream (direct)', url: `${upstream}/v1/chat/completions`, headers: {} },
    { name: 'bare proxy (node:http + undici)', url: `${bare}/v1/chat/completions`, headers: {} },
    {
      name: 'our gateway',
      url: `${gateway}/v1/chat/completions`,
      headers: { authorization: `Bearer ${key.key}` },
    },
    // The translated surfaces (issue #13): the same request as Anthropic's Messages API and as OpenAI's
    // Responses API, beside the native chat request above.
    {
      name: 'our gateway, /v1/messages',
      url: `${gateway}/v1/messages`,
      headers: { 'x-api-key': key.key, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Hello, benchmark' }],
      }),
    },
    {
      name: 'our gateway, /v1/responses',
      url: `${gateway}/v1/responses`,
      headers: { authorization: `Bearer ${key.key}` },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_output_tokens: 64, input: 'Hello, benchmark' }),
    },
    {
      name: 'Portkey OSS gateway',
      url: `${portkey}/v1/chat/completions`,
      headers: {
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `${upstream}/v1`,
        authorization: 'Bearer sk-bench',
      },
    },
  ];
  // Streams first, on fresh connections (after the load runs, sockets half-closed by wrk's teardown
  // made the first stream requests fail).
  const streamBody = JSON.stringify({
    model: 'gpt-4o-mini',
    stream: true,
    messages: [{ role: 'user', content: 'Hello, stream' }],
  });
  const streaming = CPU_ONLY
    ? undefined
    : await streamRounds(
        {
          direct: { url: `${upstream}/v1/chat/completions`, headers: {} },
          bare: { url: `${bare}/v1/chat/completions`, headers: {} },
          'gateway, key without limits': {
            url: `${gateway}/v1/chat/completions`,
            headers: { authorization: `Bearer ${plainKey.key}` },
          },
          'gateway, key with RPM and TPM': {
            url: `${gateway}/v1/chat/completions`,
            headers: { authorization: `Bearer ${key.key}` },
          },
          ...(baseline && {
            [`${before} gateway, key without limits`]: {
              url: `${baseline.gateway}/v1/chat/completions`,
              headers: { authorization: `Bearer ${baseline.keys.plain.key}` },
            },
            [`${before} gateway, key with RPM and TPM`]: {
              url: `${baseline.gateway}/v1/chat/completions`,
              headers: { authorization: `Bearer ${baseline.keys.rateLimited.key}` },
            },
          }),
        },
        streamBody,
        { rounds: ROUNDS },
      );

  // Every process's CPU per request, interleaved rounds.
  const chat = `/v1/chat/completions`;
  /** Today's targets: today's system's processes count, its pipeline is drained. */
  const todays = { system: 'today', natsUrl: own.env.NATS_URL };
  const cpuTargets = [
    {
      name: 'bare proxy',
      url: bare + chat,
      headers: {},
      body,
      pipeline: false,
      ...todays,
    },
    {
      name: 'gateway, key without limits',
      url: gateway + chat,
      headers: { authorization: `Bearer ${plainKey.key}` },
      body,
      pipeline: true,
      ...todays,
    },
    {
      name: 'gateway, key with limits',
      url: gateway + chat,
      headers: { authorization: `Bearer ${limitedKey.key}` },
      body,
      pipeline: true,
      ...todays,
    },
    ...(baseline
      ? [
          ['without limits', baseline.keys.plain],
          ['with limits', baseline.keys.limited],
        ].map(([kind, k]) => ({
          name: `${before} gateway, key ${kind}`,
          url: baseline.gateway + chat,
          headers: { authorization: `Bearer ${k.key}` },
          body,
          pipeline: true,
          system: 'before',
          natsUrl: baseline.natsUrl,
        }))
      : []),
  ];
  // Each target counts its own system's processes (bench/cpu.mjs processGroups), the bare proxy's and the
  // upstream's.
  const systems = {
    today: {
      database: own.database,
      pids: {
        ...own.pids,
        gateway: [stack.pidOf(gateway)],
        metering: [stack.pidOf(metering)],
        'auth-service': [stack.pidOf(authService)],
        'key-service': [stack.pidOf(keyService)],
      },
    },
    ...(baseline && { before: baseline.system }),
  };
  const groupPids = { bare: stack.pidOf(bare), upstream: stack.pidOf(upstream) };
  const cpuRuns = await cpuRounds({
    targets: cpuTargets,
    rounds: ROUNDS,
    seconds: CPU_SECONDS,
    sample: processGroups(systems, groupPids),
  });
  // The baseline is done: the profiles, the drain and the adversarial mix run without it idling beside them.
  await baseline?.stack.stop();
  // The load table after the CPU rounds: before them, its requests would leave today's tables larger than
  // the baseline's, and their upkeep would count against today's figures.
  const results = [];
  for (const t of CPU_ONLY ? [] : targets) {
    for (const connections of [1, 32]) {
      const headers = { 'content-type': 'application/json', ...t.headers };
      const b = t.body ?? body;
      wrk({ url: t.url, body: b, headers, connections, seconds: 2 }); // warm-up: JIT, pools, caches
      const r = wrk({ url: t.url, body: b, headers, connections, seconds: SECONDS });
      results.push({ target: t.name, connections, ...r });
      console.log(
        `${t.name.padEnd(34)} c=${String(connections).padEnd(3)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  errors ${r.errors}`,
      );
    }
  }
  const cpu = cpuReport(cpuRuns, {
    bare: 'bare proxy',
    plain: 'gateway, key without limits',
    limited: 'gateway, key with limits',
    groups: [
      'gateway',
      'bare',
      'metering',
      'postgres',
      'nats-server',
      'redis',
      'auth-service',
      'key-service',
      'upstream',
    ],
    before: baseline && {
      label: commit.slice(0, 7),
      plain: `${before} gateway, key without limits`,
      limited: `${before} gateway, key with limits`,
    },
  });

  // Profiles of the gateway and metering under the limited key's load at c=32, in processes of their own.
  let profiles = [];
  if (PROFILE) {
    const profDir = mkdtempSync(join(dir, 'prof-'));
    const prof = (entry) => [
      process.execPath,
      ['--cpu-prof', `--cpu-prof-dir=${profDir}/${entry.split('/')[1]}`, join(ROOT, entry)],
    ];
    await Promise.all([stack.stopOne(gateway), stack.stopOne(metering)]);
    gateway = await start('gateway-service', ...prof('apps/gateway-service/dist/main.js'), gatewayEnv);
    metering = await start('metering-service', ...prof('apps/metering-service/dist/main.js'), () => ({}));
    const t = cpuTargets[2];
    const headers = { 'content-type': 'application/json', ...t.headers };
    // Warmed up first: the window is the steady state, not first-request module loading and JIT.
    wrk({ url: gateway + chat, body, headers, connections: 32, seconds: 2 });
    await pipelineDrained();
    const from = Number(process.hrtime.bigint() / 1000n);
    wrk({
      url: gateway + chat,
      body,
      headers,
      connections: 32,
      seconds: CPU_SECONDS,
    });
    const to = Number(process.hrtime.bigint() / 1000n);
    await pipelineDrained();
    await Promise.all([stack.stopOne(gateway), stack.stopOne(metering)]);
    for (const app of ['gateway-service', 'metering-service']) {
      const files = readdirSync(join(profDir, app)).filter((f) => f.endsWith('.cpuprofile'));
      if (files.length)
        profiles.push({ app, ...flameSummary(join(profDir, app, files[0]), PROFILE_TOP, [from, to]) });
    }
    console.log(profiles.map((p) => flameMarkdown(p.app, p)).join('\n\n'));
  }

  if (CPU_ONLY) return void console.log('\n' + cpu.markdown);
  // After the HTTP runs, so it does not share the cores with them.
  const meteringDrain = await benchMetering((env) =>
    start('metering-service', ...node('apps/metering-service/dist/main.js'), () => env),
  );
  console.log(
    `metering: drained ${meteringDrain.backlog} events at ${meteringDrain.eventsPerSecond.toFixed(0)} events/s; lag p50 ${meteringDrain.lagMs.p50.toFixed(1)} ms, p99 ${meteringDrain.lagMs.p99.toFixed(1)} ms`,
  );
  // Last: its attackers stall the unfixed gateway for seconds, and it starts a gateway of its own.
  const adversarial = await benchAdversarial({ stack, keyServiceUrl: keyService });
  const get = (name, c) => results.find((r) => r.target.startsWith(name) && r.connections === c);
  const bare32 = get('bare', 32);
  const ours32 = get('our', 32);
  const pk32 = get('Portkey', 32);
  const targetsMet = {
    rpsVsBare: { value: ours32.rps / bare32.rps, target: 0.7, met: ours32.rps >= 0.7 * bare32.rps },
    rpsVsPortkey: { value: ours32.rps / pk32.rps, target: 5, met: ours32.rps >= 5 * pk32.rps },
    p50OverBareC1Ms: {
      value: get('our', 1).p50 - get('bare', 1).p50,
      target: 0.3,
      met: get('our', 1).p50 <= get('bare', 1).p50 + 0.3,
    },
  };
  const errors = results.reduce((n, r) => n + r.errors, 0);
  const lines = [
    `| target | c | req/s | p50 ms | p99 ms | req/s vs bare |`,
    `| --- | --- | --- | --- | --- | --- |`,
    ...results.map((r) => {
      const base = get('bare', r.connections).rps;
      return `| ${r.target} | ${r.connections} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(r.rps / base).toFixed(2)} |`;
    }),
    '',

    `Targets: c=32 RPS ≥ 0.7 × bare: ${targetsMet.rpsVsBare.value.toFixed(2)} × (${targetsMet.rpsVsBare.met ? 'met' : 'not met'}); ` +
      `≥ 5 × Portkey: ${targetsMet.rpsVsPortkey.value.toFixed(1)} × (${targetsMet.rpsVsPortkey.met ? 'met' : 'not met'}); ` +
      `c=1 p50 ≤ bare + 0.3 ms: +${targetsMet.p50OverBareC1Ms.value.toFixed(2)} ms (${targetsMet.p50OverBareC1Ms.met ? 'met' : 'not met'}).`,
    `Metering (one replica, batches of 500): drained a backlog of ${meteringDrain.backlog} usage events at ${meteringDrain.eventsPerSecond.toFixed(0)} events/s ` +
      `(priced, recorded with per-key/owner totals and Redis spend counters); publish-to-transaction lag when keeping up: ` +
      `p50 ${meteringDrain.lagMs.p50.toFixed(1)} ms, p99 ${meteringDrain.lagMs.p99.toFixed(1)} ms (400 events, one every 5 ms).`,
    `Non-2xx responses across all runs: ${errors}. ${SECONDS} s per run after a 2 s warm-up, wrk -t1, ${cpus().length} cores shared by everything.`,
    '',
    `### CPU per request, every process (${ROUNDS} interleaved rounds of ${CPU_SECONDS} s, median (min–max) of the rounds)`,
    '',
    "CPU µs per request from each process group's /proc utime + stime around the run; a gateway run ends once " +
      "metering has acknowledged all its usage. Each target counts its own system's processes only (today's and " +
      "the baseline's each run on a redis-server, a nats-server and a database of their own); Postgres counts " +
      "that database's backends and the server's own shared processes. A running `npm start` counts in neither.",

    '',
    cpu.markdown,
    '',
    streamMarkdown(streaming),
    '',
    ...(profiles.length
      ? [
          '### CPU profiles under load (limited key, c=32)',
          '',
          ...profiles.map((p) => flameMarkdown(p.app, p) + '\n'),
        ]
      : []),
    adversarial.markdown,
  ];
  const table = lines.join('\n');
  console.log('\n' + table);
  const outDir = join(ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const report = {
    at: new Date().toISOString(),
    seconds: SECONDS,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    results,
    streaming,
    targets: targetsMet,
    metering: meteringDrain,
    cpu: { ...cpuRuns, summary: cpu.summary, ratios: cpu.ratios, net: cpu.net, baseline: cpu.baseline },
    profiles,
    adversarial: adversarial.results,
  };
  writeFileSync(join(outDir, `${stamp}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(outDir, 'latest.md'), `# Latest benchmark (${report.at})\n\n${table}\n`);
}

// Interrupted: stop both systems' servers and services (the finally below does not run on a signal).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.once(signal, () => {
    void Promise.all([stack.stop(), baseline?.stack.stop()]).finally(() => process.exit(130));
  });

try {
  await main();
} finally {
  await Promise.all([stack.stop(), baseline?.stack.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
}
