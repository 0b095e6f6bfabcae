import { bootstrap } from '../src/bootstrap.js';

describe('metering-service health', () => {
  let started: Awaited<ReturnType<typeof bootstrap>>;
  beforeAll(async () => {
    started = await bootstrap({ overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' } });
  });
  afterAll(() => started.app.close());

  it('answers /healthz, /readyz and /metrics', async () => {
    expect((await fetch(`${started.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${started.url}/readyz`)).status).toBe(200);
    const metrics = await fetch(`${started.url}/metrics`);
    expect(await metrics.text()).toContain('process_cpu_user_seconds_total');
  });

  it('answers an unknown route with 404 in the OpenAI envelope', async () => {
    const res = await fetch(`${started.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { message: expect.any(String), type: 'invalid_request_error', code: 'not_found', param: null },
    });
  });
});
