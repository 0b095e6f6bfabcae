// The probes every service answers, checked the same way for each (Jest globals: call inside a test file).
interface Started {
  url: string;
  app: { close(): Promise<unknown> };
}

export function describeHealth(name: string, start: () => Promise<Started>) {
  describe(`${name} health`, () => {
    let started: Started;
    beforeAll(async () => {
      started = await start();
    });
    afterAll(() => started.app.close());

    it('answers /healthz, /readyz and /metrics', async () => {
      expect((await fetch(`${started.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${started.url}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${started.url}/metrics`)).text()).toContain(
        'process_cpu_user_seconds_total',
      );
    });

    it('answers an unknown route with 404 in the OpenAI envelope', async () => {
      const res = await fetch(`${started.url}/nope`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: { message: expect.any(String), type: 'invalid_request_error', code: 'not_found', param: null },
      });
    });
  });
}
