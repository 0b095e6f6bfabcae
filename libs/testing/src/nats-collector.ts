// Subscribes to a NATS subject and keeps what arrives, so tests can wait for an event.
import type { NatsIdentityName } from '@gw/contracts';
import { connectAs } from './nats-identities.js';

/** As `as`, which must be allowed to subscribe to the subject (default: internal, which reads key events). */
export async function collect(subject: string, as: NatsIdentityName = 'internal') {
  const nc = await connectAs(as);
  const seen: { subject: string; data: any }[] = [];
  nc.subscribe(subject, {
    callback: (_e, m) => {
      // Only JSON objects are kept: other suites publish hostile payloads on shared subjects (the gateway's
      // resilience tests send 'not json' and null on keys.events.*), and a throw here would end the subscription.
      let data: unknown;
      try {
        data = m.json();
      } catch {
        return;
      }
      if (data && typeof data === 'object') seen.push({ subject: m.subject, data });
    },
  });
  await nc.flush();
  return {
    nc,
    seen,
    async waitFor(pred: (m: { subject: string; data: any }) => boolean, ms = 3000) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const hit = seen.find(pred);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`nothing on ${subject} matched within ${ms} ms`);
    },
    close: () => nc.close(),
  };
}

/** Polls until `probe` returns a value that `done` accepts; returns it and how long it took. */
export async function pollUntil<T>(probe: () => Promise<T>, done: (v: T) => boolean, ms = 5000, every = 5) {
  const t0 = performance.now();
  for (;;) {
    const v = await probe();
    if (done(v)) return { value: v, ms: performance.now() - t0 };
    if (performance.now() - t0 > ms)
      throw new Error(`condition not met within ${ms} ms; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
