import { Readiness } from './readiness.js';

describe('Readiness', () => {
  it('is ready when every check passes, and names the ones that fail, throw or hang', async () => {
    const r = new Readiness();
    r.add('ok', () => true);
    expect(await r.report()).toEqual({ ready: true, checks: { ok: 'up' } });
    r.add('false', () => false);
    r.add('throws', () => Promise.reject(new Error('down')));
    r.add('hangs', () => new Promise(() => undefined));
    expect(await r.report()).toEqual({
      ready: false,
      checks: { ok: 'up', false: 'down', throws: 'down', hangs: 'down' },
    });
  });

  it('turns not ready while draining', async () => {
    const r = new Readiness();
    r.add('ok', () => true);
    r.drain();
    expect(await r.report()).toEqual({ ready: false, checks: { ok: 'up', shutdown: 'draining' } });
    // Still serving until the port closes (SHUTDOWN_DELAY_MS): load balancers need time to notice.
    expect(r.isRefusing).toBe(false);
    r.refuse();
    expect(r.isRefusing).toBe(true);
  });
});
