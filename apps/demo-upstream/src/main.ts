// The demo upstream as a process: PORT (8089), HOST, DEMO_MODELS (comma-separated), DEMO_LATENCY_MS.
import { createDemoUpstream } from './server.js';

const port = Number(process.env.PORT ?? 8089);
const host = process.env.HOST ?? '127.0.0.1';
const models = process.env.DEMO_MODELS?.split(',')
  .map((m) => m.trim())
  .filter(Boolean);
const latencyMs = Number(process.env.DEMO_LATENCY_MS ?? 0);
if (!Number.isInteger(port) || !Number.isInteger(latencyMs) || latencyMs < 0) {
  console.error('demo-upstream: PORT and DEMO_LATENCY_MS must be non-negative integers');
  process.exit(1);
}
const upstream = createDemoUpstream({ models, behaviour: { latencyMs } });
const url = await upstream.listen(port, host);
console.log(JSON.stringify({ level: 30, msg: 'demo-upstream listening', url, models: models ?? 'default' }));
const stop = () => void upstream.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
