// auth.verify round trips as a gateway makes them, against the running stack (`npm start`): on a cache miss
// (`fresh: true` skips auth-service's cache, so it asks key-service keys.lookup, which reads Postgres) and on
// a hit. Sequential requests, so this is latency, not throughput. `node bench/auth-verify.mjs [n] [rounds]`.
import { createHash } from 'node:crypto';
import { connect } from '@nats-io/transport-node';

const N = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 3);

export async function benchAuthVerify(n = N, rounds = ROUNDS) {
  const nc = await connect({
    servers: process.env.NATS_URL,
    user: process.env.NATS_GATEWAY_USER,
    pass: process.env.NATS_GATEWAY_PASSWORD,
    inboxPrefix: '_INBOX.gateway',
  });
  const hash = createHash('sha256').update(process.env.DEMO_KEY).digest('hex');
  const run = async (fresh) => {
    const times = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const reply = (
        await nc.request('auth.verify', JSON.stringify({ hash, fresh }), { timeout: 2000 })
      ).json();
      times.push(performance.now() - t0);
      if (!reply.ok) throw new Error(`auth.verify: ${JSON.stringify(reply)}`);
    }
    times.sort((a, b) => a - b);
    const at = (p) => times[Math.min(n - 1, Math.floor(p * n))];
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
  };
  const out = { miss: [], hit: [] };
  try {
    await run(true); // warm-up
    for (let r = 0; r < rounds; r++) {
      out.miss.push(await run(true));
      out.hit.push(await run(false));
    }
  } finally {
    await nc.close();
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const res = await benchAuthVerify();
  const fmt = (r) => `p50 ${r.p50.toFixed(3)} p90 ${r.p90.toFixed(3)} p99 ${r.p99.toFixed(3)} ms`;
  for (const kind of ['miss', 'hit'])
    res[kind].forEach((r, i) => console.log(`auth.verify ${kind} round ${i + 1}: ${fmt(r)}`));
}
