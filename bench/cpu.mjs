// CPU per request, every process of the system: each process's CPU time (utime + stime from /proc/<pid>/stat)
// before and after a run, divided by the requests served. The usage pipeline works after the response, so a
// run ends only once metering has caught up with what it produced. Targets are interleaved over rounds and
// each ratio is taken within its round (these machines are noisy); the report gives medians and ranges.
import { readdirSync, readFileSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { sleep } from './stack.mjs';
import { wrk } from './wrk.mjs';

const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

/**
 * utime + stime of a process in seconds, with cutime + cstime (its children that exited: a Postgres backend
 * that ends during a run is counted in the postmaster's), or undefined when it is gone.
 */
function cpuSeconds(pid) {
  return readStat(pid, true)?.seconds;
}

/** CPU seconds and start time (in ticks since boot: with the pid, one process even if the pid is reused). */
function readStat(pid, children) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return { seconds: (f[11] + f[12] + (children ? f[13] + f[14] : 0)) / TICKS_PER_SECOND, start: f[19] };
  } catch {
    return undefined;
  }
}

/** Every process's pid with its command line (a server's backends appear and go; read them each time). */
function processes() {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      out.push({
        pid: Number(name),
        cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' '),
      });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Postgres's processes of no database: the postmaster (with its exited backends) and its background workers. */
const SHARED_POSTGRES =
  /\/postgres |^postgres: (checkpointer|background writer|walwriter|autovacuum launcher|logical replication launcher|archiver|stats collector|autovacuum worker\s*$)/;

/** The groups of a system under test, each a list of its pids (Postgres is read by database). */
const SYSTEM_GROUPS = ['gateway', 'metering', 'auth-service', 'key-service', 'nats-server', 'redis'];

/**
 * Each system's groups, counted from its own processes only: `systems` maps a name to { pids: group → pids,
 * database }. Postgres counts the backends of the system's database (by the name in their process title),
 * plus the server's own processes (postmaster, WAL writer, checkpointer, …), which every system shares and
 * each one's figures include. `extra` (group → pid: the bare proxy, the upstream) is
 * read into every system's. A running `npm start`, and the other system, count in none.
 */
export function processGroups(systems, extra = {}) {
  const sum = (pids = []) => pids.reduce((n, pid) => n + (cpuSeconds(pid) ?? 0), 0);
  const SHARED = Symbol('shared');
  const postgres = new Map();
  return () => {
    const out = {};
    for (const [name, system] of Object.entries(systems)) {
      out[name] = Object.fromEntries(SYSTEM_GROUPS.map((g) => [g, sum(system.pids[g])]));
      out[name].postgres = 0;
      for (const [g, pid] of Object.entries(extra)) out[name][g] = cpuSeconds(pid) ?? 0;
    }
    // Postgres's processes by pid and start time, each kept at its last reading once it is gone (a backend that
    // ends counts what it spent up to that reading; one born and gone between two readings is missed). Not with
    // their exited children: the postmaster's would hold every database's ended backends and autovacuum workers.
    for (const { pid, cmd } of processes()) {
      if (!/^postgres[: ]|\/postgres /.test(cmd)) continue;
      const words = cmd.split(' ');
      const owner = Object.keys(systems).find((name) => words.includes(systems[name].database));
      // The server's own processes count for every system; not another database's backends or autovacuum
      // workers (npm start's database, grown over many runs, is vacuumed for seconds at a time).
      const group = owner ?? (SHARED_POSTGRES.test(cmd) ? SHARED : undefined);
      const stat = group && readStat(pid, false);
      if (stat) postgres.set(`${pid}@${stat.start}`, { group, seconds: stat.seconds });
    }
    let shared = 0;
    for (const { group, seconds } of postgres.values())
      if (group === SHARED) shared += seconds;
      else out[group].postgres += seconds;
    for (const name of Object.keys(out)) out[name].postgres += shared;
    return out;
  };
}

/**
 * Resolves once metering's consumer on the NATS at `servers` (the stack's, or the baseline's own) has
 * acknowledged everything published (or after `ms`).
 */
export async function pipelineDrained(ms = 30_000, servers = process.env.NATS_URL) {
  const nc = await connect({
    servers,
    user: process.env.NATS_METERING_USER,
    pass: process.env.NATS_METERING_PASSWORD,
    inboxPrefix: '_INBOX.metering',
  });
  try {
    const jsm = await jetstreamManager(nc);
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const i = await jsm.consumers.info('USAGE', 'metering');
      if (i.num_pending + i.num_ack_pending === 0) return true;
      await sleep(50);
    }
    return false;
  } finally {
    await nc.close();
  }
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const range = (xs) => [Math.min(...xs), Math.max(...xs)];

/** How long each round measures the system with no traffic (its idle CPU per second, per group). */
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 5000);

/**
 * `targets`: { name, url, headers, body, pipeline (does it publish usage), system (whose processes count:
 * the name processGroups was given it under), natsUrl (its pipeline's NATS) }. `sample()` is processGroups'.
 * Each round first measures every system's CPU per second with no traffic (timers, polls, heartbeats: what a
 * process spends whatever the load), then, for each target and each concurrency, a 1 s warm-up and `seconds`
 * of wrk with its system's CPU read around it. Each run's CPU per request is given raw (what the issue's
 * targets are judged on) and, for information, net of its round's idle rate over the run's wall time.
 */
export async function cpuRounds({ targets, rounds, seconds, concurrencies = [1, 32], sample }) {
  const runs = [];
  const idle = [];
  const pipelines = [...new Set(targets.map((t) => t.natsUrl))];
  const drainAll = async () => {
    for (const servers of pipelines) await pipelineDrained(30_000, servers);
  };
  // Every target warmed up first (JIT, pools, caches, a system just started), so round 1's idle is idle.
  for (const t of targets) {
    const headers = { 'content-type': 'application/json', ...t.headers };
    wrk({ url: t.url, body: t.body, headers, connections: 32, seconds: 2 });
  }
  const diff = (after, before) =>
    Object.fromEntries(Object.keys(after).map((g) => [g, after[g] - before[g]]));
  for (let round = 1; round <= rounds; round++) {
    await drainAll();
    await sleep(1000);
    const quietFrom = sample();
    const quietStart = performance.now();
    await sleep(IDLE_MS);
    const quietTo = sample();
    const quietSeconds = (performance.now() - quietStart) / 1000;
    const idlePerSecond = Object.fromEntries(
      Object.keys(quietTo).map((system) => [
        system,
        Object.fromEntries(
          Object.entries(diff(quietTo[system], quietFrom[system])).map(([g, v]) => [g, v / quietSeconds]),
        ),
      ]),
    );
    for (const [system, rates] of Object.entries(idlePerSecond)) {
      idle.push({
        round,
        system,
        cpuMsPerSecond: Object.fromEntries(Object.entries(rates).map(([g, v]) => [g, v * 1000])),
      });
      console.log(
        `round ${round} ${system} idle, CPU ms per second: ` +
          Object.entries(rates)
            .filter(([, v]) => v * 1000 >= 0.05)
            .map(([g, v]) => `${g} ${(v * 1000).toFixed(1)}`)
            .join(' '),
      );
    }
    for (const t of targets) {
      for (const connections of concurrencies) {
        const headers = { 'content-type': 'application/json', ...t.headers };
        wrk({ url: t.url, body: t.body, headers, connections, seconds: 1 });
        // Whatever the previous runs left to either system's metering is not this run's.
        await drainAll();
        const before = sample()[t.system];
        const start = performance.now();
        const r = wrk({ url: t.url, body: t.body, headers, connections, seconds });
        if (t.pipeline) await pipelineDrained(30_000, t.natsUrl);
        const after = sample()[t.system];
        const wallSeconds = (performance.now() - start) / 1000;
        const spent = diff(after, before);
        const perRequest = (cpuSeconds) => (cpuSeconds * 1e6) / Math.max(1, r.requests);
        const rates = idlePerSecond[t.system];
        const micros = Object.fromEntries(Object.entries(spent).map(([g, v]) => [g, perRequest(v)]));
        const net = Object.fromEntries(
          Object.entries(spent).map(([g, v]) => [g, perRequest(v - rates[g] * wallSeconds)]),
        );
        runs.push({
          round,
          target: t.name,
          system: t.system,
          connections,
          ...r,
          wallSeconds,
          cpuMicrosPerRequest: micros,
          netMicrosPerRequest: net,
        });
        console.log(
          `round ${round} ${t.name.padEnd(28)} c=${String(connections).padEnd(3)} ${r.rps.toFixed(0).padStart(6)} req/s  ` +
            `p50 ${r.p50.toFixed(2)} ms  ` +
            Object.entries(micros)
              .filter(([, v]) => v >= 0.5)
              .map(([g, v]) => `${g} ${v.toFixed(0)} (net ${net[g].toFixed(0)})`)
              .join(' ') +
            ' µs/req',
        );
      }
    }
  }
  return { runs, idle };
}

/**
 * Medians (and ranges) per target and concurrency, each system's idle rates, and the ratios the issue sets,
 * each within its round: judged on the raw figures (everything the target's own processes spent), with the
 * CPU measures net of idle beside them. `before` ({ label, plain, limited }: the baseline's target names) adds
 * the baseline's raw figures.
 */
export function cpuReport({ runs, idle }, { bare, plain, limited, groups, before }) {
  const pick = (target, c, round) =>
    runs.find((r) => r.target === target && r.connections === c && r.round === round);
  const rounds = [...new Set(runs.map((r) => r.round))];
  const fmt = (xs, d = 0) => {
    const [lo, hi] = range(xs);
    return `${median(xs).toFixed(d)} (${lo.toFixed(d)}–${hi.toFixed(d)})`;
  };
  const RAW = 'cpuMicrosPerRequest';
  const NET = 'netMicrosPerRequest';
  const pipeline = (r, field = RAW) => r[field].metering + r[field].postgres + r[field]['nats-server'];
  const lines = [
    "Raw: each group's CPU over the run divided by the requests served.",
    '',
    `| target | c | req/s | p50 ms | p99 ms | ${groups.join(' | ')} | pipeline (metering + Postgres + NATS) |`,
    `| --- | --- | --- | --- | --- | ${groups.map(() => '---').join(' | ')} | --- |`,
  ];
  const summary = {};
  for (const target of [...new Set(runs.map((r) => r.target))]) {
    for (const c of [...new Set(runs.map((r) => r.connections))]) {
      const rs = runs.filter((r) => r.target === target && r.connections === c);
      if (!rs.length) continue;
      const cell = (g) => fmt(rs.map((r) => r[RAW][g]));
      summary[`${target} c=${c}`] = {
        rps: median(rs.map((r) => r.rps)),
        p50: median(rs.map((r) => r.p50)),
        cpu: Object.fromEntries(groups.map((g) => [g, median(rs.map((r) => r[RAW][g]))])),
        net: Object.fromEntries(groups.map((g) => [g, median(rs.map((r) => r[NET][g]))])),
        pipeline: median(rs.map((r) => pipeline(r))),
        netPipeline: median(rs.map((r) => pipeline(r, NET))),
      };
      lines.push(
        `| ${target} | ${c} | ${fmt(rs.map((r) => r.rps))} | ${fmt(
          rs.map((r) => r.p50),
          2,
        )} | ${fmt(
          rs.map((r) => r.p99),
          2,
        )} | ${groups.map(cell).join(' | ')} | ${fmt(rs.map((r) => pipeline(r)))} |`,
      );
    }
  }
  const systems = [...new Set(idle.map((i) => i.system))];
  lines.push(
    '',
    "Idle: each system's CPU with no traffic, measured at the start of each round (timers, polls, heartbeats; " +
      "the bare proxy and the upstream are in every system's row). Net figures subtract it over each run's wall " +
      'time; they are for information, the targets are judged on the raw ones.',
    '',
    `| idle, CPU ms per second (median (range) of the rounds) | ${groups.join(' | ')} |`,
    `| --- | ${groups.map(() => '---').join(' | ')} |`,
    ...systems.map((system) => {
      const of = idle.filter((i) => i.system === system);
      return `| ${system} | ${groups
        .map((g) =>
          fmt(
            of.map((i) => i.cpuMsPerSecond[g] ?? 0),
            1,
          ),
        )
        .join(' | ')} |`;
    }),
  );
  // Ratios within each round, then their medians: for today's targets, and for the baseline's ("before")
  // when it ran, in the same rounds against the same bare proxy.
  const within = (f) => rounds.map(f).filter((x) => Number.isFinite(x));
  const measures = (names, field) => {
    const out = [];
    const ratio = (label, xs, target, better = 'below') => {
      if (!xs.length) return;
      const m = median(xs);
      const met = better === 'below' ? m <= target : m >= target;
      out.push({ label, median: m, range: range(xs), target, met });
    };
    for (const [kind, name] of [
      ['without limits', names.plain],
      ['with RPM, TPM and a monthly quota', names.limited],
    ]) {
      const cap = kind === 'without limits' ? 1.3 : 1.5;
      ratio(
        `gateway CPU ÷ bare proxy CPU, key ${kind}, c=32`,
        within((i) => pick(name, 32, i)[field].gateway / pick(bare, 32, i)[field].bare),
        cap,
      );
      ratio(
        `gateway c=1 p50 − bare c=1 p50 (ms), key ${kind}`,
        within((i) => pick(name, 1, i).p50 - pick(bare, 1, i).p50),
        0.2,
      );
      ratio(
        `gateway req/s ÷ bare req/s, key ${kind}, c=32`,
        within((i) => pick(name, 32, i).rps / pick(bare, 32, i).rps),
        0.7,
        'above',
      );
      for (const c of [1, 32])
        ratio(
          `usage pipeline CPU µs per request (metering + Postgres + NATS), key ${kind}, c=${c}`,
          within((i) => pipeline(pick(name, c, i), field)),
          80,
        );
    }
    ratio(
      'Redis CPU µs per limited request, c=32',
      within((i) => pick(names.limited, 32, i)[field].redis),
      40,
    );
    return out;
  };
  // Judged on the raw figures, as the issue measures them; net of idle beside them for information.
  const ratios = measures({ plain, limited }, RAW);
  const net = measures({ plain, limited }, NET);
  const baseline = before ? measures(before, RAW) : undefined;
  const cell = (r) => `${r.median.toFixed(2)} (${r.range[0].toFixed(2)}–${r.range[1].toFixed(2)})`;
  const cpuMeasure = (r) => !/p50|req\/s/.test(r.label);
  lines.push(
    '',
    `| measure (median of rounds, range) |${baseline ? ` before (${before.label}) |` : ''} ${baseline ? 'after' : 'value'} | after, CPU net of idle | target | met |`,
    `| --- |${baseline ? ' --- |' : ''} --- | --- | --- | --- |`,
  );
  for (const [i, r] of ratios.entries())
    lines.push(
      `| ${r.label} |${baseline ? ` ${baseline[i] ? cell(baseline[i]) : '—'} |` : ''} ${cell(r)} | ${cpuMeasure(r) ? cell(net[i]) : '—'} | ${r.label.includes('req/s') ? '≥' : '≤'} ${r.target} | ${r.met ? 'met' : 'not met'} |`,
    );
  return { markdown: lines.join('\n'), summary, ratios, net, baseline };
}
