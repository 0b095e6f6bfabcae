// The operator's providers file: which upstream serves which model, with weights, timeouts and limits.
import { readFileSync } from 'node:fs';
import { ModelName, Slug } from '@gw/contracts';
import { z } from 'zod';

// Client-facing names are ModelNames, as in keys' allowed models and prices, and a usage event carries them to
// metering, which refuses an event whose text it could not store as sent (the request would go unbilled).
const ModelEntry = z.union([
  ModelName,
  z.strictObject({
    /** The name clients use. */
    name: ModelName,
    /** The provider's own name for it, when different. */
    upstreamModel: z.string().min(1).optional(),
    aliases: z.array(ModelName).default([]),
    /** Output cap used when a request gives no max_tokens, and the ceiling max_tokens is cut to. */
    maxOutputTokens: z.number().int().positive().default(4096),
    /**
     * Prompt tokens reserved (and estimated) for each image, audio or file part of a message: providers price
     * them by size, which the gateway does not decode. gpt-4o's largest image is ~1,105; gpt-4o-mini's ~36,800.
     */
    mediaPartTokens: z.number().int().min(0).max(1_000_000).default(2_000),
  }),
]);

const Provider = z.strictObject({
  /** A slug (≤ 64): usage events carry it to metering as the request's upstream. */
  name: Slug,
  baseUrl: z.url().refine((u) => /^https?:\/\//.test(u), 'http or https'),
  /** Name of the environment variable holding the provider's API key (never the key itself). */
  apiKeyEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/)
    .optional(),
  models: z.array(ModelEntry).min(1),
  weight: z.number().int().min(1).max(1000).default(1),
  timeoutMs: z.number().int().min(100).max(600_000).default(60_000),
  /** Requests in flight at once; beyond it requests wait, enterprise tier first. */
  maxConcurrency: z.number().int().min(1).max(100_000).default(256),
  /** Requests that may wait for a slot; past it (or past queueTimeoutMs) the next provider is tried, else 503. */
  maxQueue: z.number().int().min(0).max(100_000).default(1024),
  queueTimeoutMs: z.number().int().min(1).max(600_000).default(10_000),
  /**
   * The field the gateway writes the output cap into when the client sent none. `max_tokens` is understood by
   * every OpenAI-compatible server; OpenAI's reasoning models need `max_completion_tokens`.
   */
  maxTokensField: z.enum(['max_tokens', 'max_completion_tokens']).default('max_tokens'),
  connections: z.number().int().min(1).max(1024).default(64),
  /**
   * The other APIs the provider speaks itself, besides Chat Completions: a request on that surface is passed
   * through as the client sent it (model and output cap rewritten) instead of being translated.
   * `messages` is sent with Anthropic's `x-api-key` and `anthropic-version` headers.
   */
  nativeSurfaces: z
    .array(z.enum(['responses', 'messages']))
    .max(2)
    .default([]),
});

export const UpstreamsFile = z.strictObject({ providers: z.array(Provider).min(1) });
export type UpstreamsFile = z.infer<typeof UpstreamsFile>;

export interface ProviderConfig {
  name: string;
  baseUrl: string;
  apiKey: string | undefined;
  weight: number;
  timeoutMs: number;
  maxConcurrency: number;
  maxQueue: number;
  queueTimeoutMs: number;
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  connections: number;
  nativeSurfaces: ReadonlySet<NativeSurface>;
}

export type NativeSurface = 'responses' | 'messages';

export interface ModelRoute {
  /** The gateway's name for the model (what keys and tiers list, what usage records). */
  model: string;
  maxOutputTokens: number;
  mediaPartTokens: number;
  targets: { provider: string; upstreamModel: string }[];
}

export interface UpstreamCatalogue {
  providers: ProviderConfig[];
  /** By every name a client may use: model names and aliases. */
  routes: Map<string, ModelRoute>;
  /** Gateway model names, for /v1/models. */
  models: string[];
}

export function buildCatalogue(file: UpstreamsFile, env: NodeJS.ProcessEnv): UpstreamCatalogue {
  const routes = new Map<string, ModelRoute>();
  const canonical = new Map<string, ModelRoute>();
  const providers: ProviderConfig[] = [];
  for (const p of file.providers) {
    if (p.apiKeyEnv && !env[p.apiKeyEnv])
      throw new Error(`upstreams: provider ${p.name} needs ${p.apiKeyEnv} in the environment`);
    providers.push({
      name: p.name,
      baseUrl: p.baseUrl.replace(/\/+$/, ''),
      apiKey: p.apiKeyEnv ? env[p.apiKeyEnv] : undefined,
      weight: p.weight,
      timeoutMs: p.timeoutMs,
      maxConcurrency: p.maxConcurrency,
      maxQueue: p.maxQueue,
      queueTimeoutMs: p.queueTimeoutMs,
      maxTokensField: p.maxTokensField,
      connections: p.connections,
      nativeSurfaces: new Set(p.nativeSurfaces),
    });
    for (const entry of p.models) {
      const m =
        typeof entry === 'string'
          ? { name: entry, upstreamModel: entry, aliases: [], maxOutputTokens: 4096, mediaPartTokens: 2_000 }
          : entry;
      let route = canonical.get(m.name);
      if (!route) {
        route = {
          model: m.name,
          maxOutputTokens: m.maxOutputTokens,
          mediaPartTokens: m.mediaPartTokens,
          targets: [],
        };
        canonical.set(m.name, route);
      }
      route.targets.push({ provider: p.name, upstreamModel: m.upstreamModel ?? m.name });
      for (const name of [m.name, ...m.aliases]) {
        const existing = routes.get(name);
        if (existing && existing !== route)
          throw new Error(`upstreams: "${name}" names two different models`);
        routes.set(name, route);
      }
    }
  }
  return { providers, routes, models: [...canonical.keys()].sort() };
}

export function loadCatalogue(
  path: string | undefined,
  demoUrl: string,
  env: NodeJS.ProcessEnv,
): UpstreamCatalogue {
  if (!path) {
    return buildCatalogue(
      UpstreamsFile.parse({
        providers: [
          {
            name: 'demo',
            baseUrl: `${demoUrl.replace(/\/+$/, '')}/v1`,
            models: ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'],
          },
        ],
      }),
      env,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`upstreams: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = UpstreamsFile.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`upstreams: ${path}: ${i.path.join('.')}: ${i.message}`);
  }
  return buildCatalogue(parsed.data, env);
}
