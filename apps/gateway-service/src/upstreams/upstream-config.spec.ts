import { buildCatalogue, UpstreamsFile } from './upstream-config.js';

const file = (providers: unknown[]) => UpstreamsFile.parse({ providers });

describe('upstream catalogue', () => {
  it('routes model names and aliases to every provider serving them, with the key from the named env var', () => {
    const c = buildCatalogue(
      file([
        {
          name: 'a',
          baseUrl: 'https://a.example/v1',
          apiKeyEnv: 'A_KEY',
          models: [{ name: 'm', aliases: ['mm'], maxOutputTokens: 100 }],
        },
        {
          name: 'b',
          baseUrl: 'https://b.example/v1',
          models: [{ name: 'm', upstreamModel: 'b-m' }, 'n'],
          weight: 5,
        },
      ]),
      { A_KEY: 'secret-a' },
    );
    expect(c.models).toEqual(['m', 'n']);
    expect(c.routes.get('mm')).toBe(c.routes.get('m'));
    expect(c.routes.get('m')).toEqual({
      model: 'm',
      maxOutputTokens: 100,
      mediaPartTokens: 2000,
      targets: [
        { provider: 'a', upstreamModel: 'm' },
        { provider: 'b', upstreamModel: 'b-m' },
      ],
    });
    expect(c.providers.find((p) => p.name === 'a')?.apiKey).toBe('secret-a');
    expect(c.providers.find((p) => p.name === 'b')).toMatchObject({ apiKey: undefined, weight: 5 });
  });

  it('refuses a missing API key variable, a name used for two models, and bad fields', () => {
    expect(() =>
      buildCatalogue(
        file([{ name: 'a', baseUrl: 'https://a.example', apiKeyEnv: 'NOPE', models: ['m'] }]),
        {},
      ),
    ).toThrow(/needs NOPE/);
    expect(() =>
      buildCatalogue(
        file([{ name: 'a', baseUrl: 'https://a.example', models: [{ name: 'm', aliases: ['n'] }, 'n'] }]),
        {},
      ),
    ).toThrow(/names two different models/);
    expect(
      UpstreamsFile.safeParse({ providers: [{ name: 'a', baseUrl: 'ftp://x', models: ['m'] }] }).success,
    ).toBe(false);
    expect(
      UpstreamsFile.safeParse({
        providers: [{ name: 'a', baseUrl: 'https://x', models: ['m'], apiKey: 'inline' }],
      }).success,
    ).toBe(false);
  });

  it('refuses names a usage event could not carry to metering (the request would go unbilled)', () => {
    const accepts = (provider: Record<string, unknown>) =>
      UpstreamsFile.safeParse({ providers: [{ name: 'a', baseUrl: 'https://x', ...provider }] }).success;
    expect(accepts({ models: ['gpt-4o-mini', { name: 'org/model:v1', aliases: ['m.2'] }] })).toBe(true);
    expect(accepts({ models: ['m'.repeat(129)] })).toBe(false);
    expect(accepts({ models: ['m\u0000'] })).toBe(false);
    expect(accepts({ models: [{ name: 'm', aliases: ['bad alias'] }] })).toBe(false);
    expect(accepts({ name: 'p'.repeat(65), models: ['m'] })).toBe(false);
  });
});
