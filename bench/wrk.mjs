// Runs wrk against a POST endpoint and parses requests/s and latency percentiles.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const toMs = (v, unit) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? NaN);

export function wrk({ url, body, headers, connections, seconds }) {
  const dir = mkdtempSync(join(tmpdir(), 'gw-wrk-'));
  const script = join(dir, 'post.lua');
  const lines = [`wrk.method = "POST"`, `wrk.body = ${JSON.stringify(body)}`];
  for (const [k, v] of Object.entries(headers))
    lines.push(`wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  writeFileSync(script, lines.join('\n') + '\n');
  const res = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], {
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`wrk failed: ${res.stderr || res.stdout}`);
  const out = res.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const pct = (p) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? toMs(m[1], m[2]) : NaN;
  };
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  return { rps, p50: pct(50), p99: pct(99), requests: total, errors: non2xx };
}
