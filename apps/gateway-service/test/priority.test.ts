// Priority routing: when a provider's concurrency limit is reached, enterprise-tier requests go first.
import { pollUntil } from '@gw/testing';
import {
  client,
  startGateway,
  startUpstream,
  startWorld,
  type Upstream,
  upstreamsFile,
  type World,
} from './harness.js';

let world: World;
let upstream: Upstream;
let gw: Awaited<ReturnType<typeof startGateway>>;
const messages = [{ role: 'user' as const, content: 'hi' }];

beforeAll(async () => {
  [world, upstream] = await Promise.all([startWorld(), startUpstream()]);
  gw = await startGateway({
    upstreamsFile: upstreamsFile([{ name: 'narrow', url: upstream.url, extra: { maxConcurrency: 1 } }]),
  });
}, 60_000);
afterAll(async () => {
  await gw.close();
  await Promise.all([world.stop(), upstream.stop()]);
});

it('serves a queued enterprise request before a pro request that queued earlier', async () => {
  const pro = client(gw.url, (await world.admin.key(await world.admin.account('pro'))).key);
  const enterprise = client(gw.url, (await world.admin.key(await world.admin.account('enterprise'))).key);
  // Warm both principal caches so queueing order is the only difference.
  await Promise.all([pro.models.list(), enterprise.models.list()]);
  await upstream.control({ latencyMs: 300 });
  const order: string[] = [];
  const call = (sdk: typeof pro, name: string) =>
    sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }).then(() => order.push(name));
  const first = call(pro, 'pro-first'); // takes the only slot
  await pollUntil(
    () => upstream.stats(),
    (s) => s.inFlight >= 1,
    2000,
  );
  const queuedPro = call(pro, 'pro-queued');
  await new Promise((r) => setTimeout(r, 50));
  const queuedEnterprise = call(enterprise, 'enterprise-queued');
  await Promise.all([first, queuedPro, queuedEnterprise]);
  expect(order).toEqual(['pro-first', 'enterprise-queued', 'pro-queued']);
});
