// A stream's time to first byte: direct to the demo upstream, through the bare proxy (the floor of any proxy
// on this machine: one more process and two more socket hops), and through the gateway with a key without
// limits and one with rate limits (one Redis round trip more). Interleaved rounds, differences taken within
// each round, medians with their range (issue #14: these machines are noisy).
import { median, range } from './cpu.mjs';

/** ms from sending the request to the first body bytes, `n` sequential requests on one keep-alive client. */
async function firstBytes(url, headers, body, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    if (res.status !== 200) throw new Error(`time to first byte: ${url} answered ${res.status}`);
    const reader = res.body.getReader();
    await reader.read();
    times.push(performance.now() - t0);
    while (!(await reader.read()).done);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(n * 0.5)], p99: times[Math.floor(n * 0.99)] };
}

/** `targets`: { direct, bare, ...gateways }, each { url, headers }. */
export async function streamRounds(targets, body, { rounds = 3, n = 100, warmup = 20 } = {}) {
  const names = Object.keys(targets);
  for (const name of names) await firstBytes(targets[name].url, targets[name].headers, body, warmup);
  const runs = [];
  for (let round = 0; round < rounds; round++)
    for (const name of names)
      runs.push({
        round,
        target: name,
        ...(await firstBytes(targets[name].url, targets[name].headers, body, n)),
      });
  const at = (name, round) => runs.find((r) => r.target === name && r.round === round);
  const rs = [...Array(rounds).keys()];
  const summarize = (xs) => ({ median: median(xs), range: range(xs) });
  const p50 = Object.fromEntries(names.map((name) => [name, summarize(rs.map((i) => at(name, i).p50))]));
  const p99 = Object.fromEntries(names.map((name) => [name, summarize(rs.map((i) => at(name, i).p99))]));
  const over = (a, b) => summarize(rs.map((i) => at(a, i).p50 - at(b, i).p50));
  // Every target but the two references is a gateway: its p50 over direct (the target) and over the bare proxy.
  const gateways = names.filter((name) => name !== 'direct' && name !== 'bare');
  return {
    runs,
    p50,
    p99,
    bareOverDirect: over('bare', 'direct'),
    gateways: gateways.map((name) => {
      const overDirect = over(name, 'direct');
      return { name, overDirect, overBare: over(name, 'bare'), target: 1, met: overDirect.median <= 1 };
    }),
  };
}

/** The report's lines for `streamRounds`' result. */
export function streamMarkdown(s, n = 100) {
  const fmt = ({ median: m, range: [lo, hi] }) => `${m.toFixed(2)} (${lo.toFixed(2)}–${hi.toFixed(2)})`;
  const rounds = new Set(s.runs.map((r) => r.round)).size;
  return [
    `### Streaming, time to first byte (${rounds} interleaved rounds of ${n} sequential requests, median (min–max) of the rounds, ms)`,
    '',
    '| target | p50 | p99 |',
    '| --- | --- | --- |',
    ...Object.keys(s.p50).map((name) => `| ${name} | ${fmt(s.p50[name])} | ${fmt(s.p99[name])} |`),
    '',
    `Within each round, p50 over direct: bare proxy ${fmt(s.bareOverDirect)}` +
      s.gateways
        .map(
          (g) =>
            `; ${g.name} ${fmt(g.overDirect)} (target ≤ ${g.target}: ${g.met ? 'met' : 'not met'}), ` +
            `that is ${fmt(g.overBare)} over the bare proxy`,
        )
        .join('') +
      '.',
  ].join('\n');
}
