// The probes every service answers, checked the same way for each (Jest globals: call inside a test file).
interface Started {
  url: string;
  adminUrl: string;
  app: { close(): Promise<unknown> };
}

/** `docs`: the service has an HTTP API, so its admin port serves the OpenAPI document too. */
export function describeHealth(name: string, start: () => Promise<Started>, { docs = true } = {}) {
  describe(`${name} health`, () => {
    let started: Started;
    beforeAll(async () => {
      started = await start();
    });
    afterAll(() => started.app.close());

    it('answers /healthz, /readyz, /metrics and the docs on its admin port', async () => {
      expect(started.adminUrl).not.toBe(started.url);
      expect(await (await fetch(`${started.adminUrl}/healthz`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${started.adminUrl}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${started.adminUrl}/metrics`)).text()).toContain(
        'process_cpu_user_seconds_total',
      );
      expect((await fetch(`${started.adminUrl}/docs-json`)).status).toBe(docs ? 200 : 404);
    });

    it('serves only a plain /healthz of those on its public port', async () => {
      const health = await fetch(`${started.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      for (const path of ['/readyz', '/metrics', '/docs', '/docs-json', '/docs/']) {
        const res = await fetch(`${started.url}${path}`, { headers: { authorization: 'Bearer x' } });
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        expect(await res.text()).not.toMatch(/process_cpu|swagger|"checks"/i);
      }
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
