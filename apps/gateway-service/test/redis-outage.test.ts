// Redis frozen (SIGSTOP) under traffic, and a gateway that starts while Redis is down. Runs its own
// redis-server (a real one), so stopping it disturbs no other test.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, pollUntil } from '@gw/testing';
import {
  client,
  startGateway,
  startUpstream,
  startWorld,
  type Upstream,
  upstreamsFile,
  type World,
} from './harness.js';

let redisPort: number;
let redisUrl: string;
let redis: ChildProcess | undefined;
let world: World;
let upstream: Upstream;
let file: string;
const messages = [{ role: 'user' as const, content: 'hi' }];

async function startRedis() {
  redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await pollUntil(
    () =>
      new Promise<boolean>((resolve) => {
        const probe = spawn('redis-cli', ['-p', String(redisPort), 'ping'], {
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        let out = '';
        probe.stdout.on('data', (d: Buffer) => (out += d.toString()));
        probe.on('close', () => resolve(out.includes('PONG')));
      }),
    (up) => up,
    5000,
    50,
  );
}

beforeAll(async () => {
  redisPort = await freePort();
  redisUrl = `redis://127.0.0.1:${redisPort}`;
  [world, upstream] = await Promise.all([startWorld(), startUpstream()]);
  file = upstreamsFile([{ name: 'demo', url: upstream.url }]);
}, 60_000);
afterAll(async () => {
  redis?.kill('SIGCONT');
  redis?.kill('SIGKILL');
  await Promise.all([world.stop(), upstream.stop()]);
});

const status = (p: Promise<unknown>) =>
  p.then(
    () => 200,
    (e: { status?: number }) => e.status ?? 0,
  );

it('a frozen Redis (SIGSTOP) leaves cached keys served, each request bounded by the command timeout', async () => {
  await startRedis();
  const gw = await startGateway({ upstreamsFile: file, redis: { url: redisUrl } });
  try {
    const account = await world.admin.account('pro');
    const k = await world.admin.key(account, { rpm: 1000 });
    const sdk = client(gw.url, k.key, { timeout: 5_000 });
    expect(await status(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }))).toBe(200);
    redis!.kill('SIGSTOP');
    // Twenty requests in a row: each waits at most for the command timeout, then the local limiter decides.
    const outcomes: number[] = [];
    for (let i = 0; i < 20; i++)
      outcomes.push(await status(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages })));
    expect(outcomes).toEqual(Array(20).fill(200));
    const metrics = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/gateway_rate_limit_fallback_total \d+/);
    redis!.kill('SIGCONT');
    expect(await status(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }))).toBe(200);
  } finally {
    redis!.kill('SIGCONT');
    await gw.close();
    redis!.kill('SIGKILL');
  }
}, 60_000);

it('a gateway that started while Redis was down uses Redis once it is back: limits stay global', async () => {
  redisPort = await freePort();
  redisUrl = `redis://127.0.0.1:${redisPort}`;
  const early = await startGateway({ upstreamsFile: file, redis: { url: redisUrl } });
  try {
    await startRedis();
    const late = await startGateway({ upstreamsFile: file, redis: { url: redisUrl } });
    try {
      // Readiness of the early gateway turns true once its Redis client has connected.
      await pollUntil(
        () => fetch(`${early.adminUrl}/readyz`).then((r) => r.status),
        (s) => s === 200,
        10_000,
        100,
      );
      const account = await world.admin.account('pro');
      const k = await world.admin.key(account, { rpm: 4 });
      const outcomes: number[] = [];
      for (const gw of [early, late, early, late, early, late])
        outcomes.push(
          await status(client(gw.url, k.key).chat.completions.create({ model: 'gpt-4o-mini', messages })),
        );
      // Shared through Redis: 4 in all. Per-process budgets would have let 6 through (3 + 3, or 4 + 2).
      expect(outcomes.filter((s) => s === 200)).toHaveLength(4);
      expect(outcomes.filter((s) => s === 429)).toHaveLength(2);
    } finally {
      await late.close();
    }
  } finally {
    await early.close();
  }
}, 60_000);
