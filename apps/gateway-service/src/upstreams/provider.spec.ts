import { AbortFlag } from './abort-flag.js';
import { Provider } from './provider.js';

const provider = (extra: Partial<ConstructorParameters<typeof Provider>[0]> = {}) =>
  new Provider({
    name: 'p',
    baseUrl: 'http://127.0.0.1:9/v1',
    apiKey: undefined,
    weight: 1,
    timeoutMs: 1000,
    maxConcurrency: 1,
    maxQueue: 2,
    queueTimeoutMs: 50,
    maxTokensField: 'max_tokens',
    connections: 1,
    nativeSurfaces: new Set(),
    ...extra,
  });
const live = () => new AbortFlag();

describe('Provider slots', () => {
  it('queues up to maxQueue, refuses past it, and serves priority first', async () => {
    const p = provider({ queueTimeoutMs: 10_000 });
    expect(p.acquire(false, live())).toBe('ok');
    const order: string[] = [];
    const normal = (p.acquire(false, live()) as Promise<string>).then((r) => order.push(`normal:${r}`));
    const prio = (p.acquire(true, live()) as Promise<string>).then((r) => order.push(`prio:${r}`));
    expect(p.acquire(false, live())).toBe('full');
    p.release();
    await prio;
    p.release();
    await normal;
    expect(order).toEqual(['prio:ok', 'normal:ok']);
    p.release();
    expect(p.busy).toBe(0);
    await p.close();
  });

  it('gives up at the queue deadline and when the caller leaves, freeing its place', async () => {
    const p = provider();
    expect(p.acquire(false, live())).toBe('ok');
    expect(await p.acquire(false, live())).toBe('timeout');
    const ac = new AbortFlag();
    const waiting = p.acquire(false, ac);
    expect(p.waiting).toBe(1);
    ac.abort();
    expect(await waiting).toBe('aborted');
    expect(p.waiting).toBe(0);
    p.release();
    expect(p.busy).toBe(0);
    await p.close();
  });
});
