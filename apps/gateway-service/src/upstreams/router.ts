// Forwards a request to the providers of a model: weighted choice, then fallback to the others on connect
// errors, timeouts, 429 and 5xx. Never retries once a response has been handed to the caller.
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { counter, histogram } from '@gw/platform';
import type { Dispatcher } from 'undici';
import type { AbortFlag } from './abort-flag.js';
import { Provider } from './provider.js';
import type { ModelRoute, NativeSurface, UpstreamCatalogue } from './upstream-config.js';

export const CATALOGUE = Symbol('CATALOGUE');

const attempts = counter('gateway_upstream_attempts_total', 'Upstream attempts', ['provider', 'outcome']);
const latency = histogram('gateway_upstream_seconds', 'Upstream time to response headers', ['provider']);

export interface Target {
  provider: Provider;
  upstreamModel: string;
}

/** What one target is sent: its path, and a body in its own format (model name and cap field may differ). */
export interface Prepared {
  path: string;
  body: Buffer | string;
  /** Anthropic's Messages API, natively: the key goes in `x-api-key`, with `anthropic-version`. */
  anthropic?: boolean;
}

/** The version of the Messages API the gateway's pass-through speaks (Anthropic's only stable one). */
export const ANTHROPIC_VERSION = '2023-06-01';

export interface ForwardRequest {
  route: ModelRoute;
  /** Builds the request for a target. */
  prepare: (target: Target) => Prepared;
  /** Only these targets may serve the request (all when absent). */
  eligible?: (target: Target) => boolean;
  priority: boolean;
  /** Aborts the upstream request. */
  signal: AbortFlag;
  /** The client left: stop waiting for a provider slot (nothing was sent yet, so nothing is owed). */
  clientGone: AbortFlag;
}

export type ForwardFailure = {
  ok: false;
  code: 'upstream_error' | 'upstream_timeout' | 'service_unavailable';
  message: string;
  provider: string | null;
  /** Whether a provider received the request (and may have started on it). */
  sent: boolean;
};

export type ForwardResult =
  { ok: true; provider: Provider; response: Dispatcher.ResponseData; release: () => void } | ForwardFailure;

const MAX_ATTEMPTS = 3;

function isTimeout(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  );
}

@Injectable()
export class UpstreamRouter implements OnApplicationShutdown {
  private readonly providers = new Map<string, Provider>();
  /** Each route's targets resolved to their providers once, not per request. */
  private readonly targets = new Map<ModelRoute, Target[]>();

  constructor(@Inject(CATALOGUE) readonly catalogue: UpstreamCatalogue) {
    for (const p of catalogue.providers) this.providers.set(p.name, new Provider(p));
    for (const route of new Set(catalogue.routes.values())) {
      this.targets.set(
        route,
        route.targets.map((t) => ({
          provider: this.providers.get(t.provider)!,
          upstreamModel: t.upstreamModel,
        })),
      );
    }
  }

  resolve(model: string): ModelRoute | undefined {
    return this.catalogue.routes.get(model);
  }

  /** Whether a provider of this model speaks the surface itself (and may be sent the client's request). */
  speaks(route: ModelRoute, surface: NativeSurface): boolean {
    return this.targets.get(route)!.some((t) => t.provider.config.nativeSurfaces.has(surface));
  }

  /** Weighted random order over the targets whose breaker lets a request through (all, if none does). */
  private order(route: ModelRoute, eligible?: (target: Target) => boolean): Target[] {
    const targets = this.targets.get(route)!;
    const all = eligible ? targets.filter(eligible) : targets;
    if (all.length === 1) return all; // the common case: nothing to weigh, nothing to allocate
    const now = Date.now();
    const open = all.filter((t) => t.provider.available(now));
    const pool = open.length ? open : [...all];
    const ordered: Target[] = [];
    while (pool.length) {
      let pick = Math.random() * pool.reduce((s, t) => s + t.provider.config.weight, 0);
      const i = pool.findIndex((t) => (pick -= t.provider.config.weight) < 0);
      ordered.push(...pool.splice(i < 0 ? 0 : i, 1));
    }
    return ordered;
  }

  async forward(req: ForwardRequest): Promise<ForwardResult> {
    let last: ForwardFailure = {
      ok: false,
      code: 'upstream_error',
      message: 'No upstream serves this model.',
      provider: null,
      sent: false,
    };
    let sent = false;
    for (const target of this.order(req.route, req.eligible).slice(0, MAX_ATTEMPTS)) {
      const { provider } = target;
      if (req.clientGone.aborted) break;
      const acquired = provider.acquire(req.priority, req.clientGone);
      const slot = typeof acquired === 'string' ? acquired : await acquired;
      // The client may have left while the slot was handed over: nothing is sent, so nothing is owed.
      if (slot === 'ok' && req.clientGone.aborted) {
        provider.release();
        break;
      }
      if (slot !== 'ok') {
        if (slot === 'aborted') break;
        attempts.inc({ provider: provider.name, outcome: `queue_${slot}` });
        last = {
          ok: false,
          code: 'service_unavailable',
          message: `Upstream ${provider.name} is at capacity. Retry later.`,
          provider: provider.name,
          sent,
        };
        continue;
      }
      const started = performance.now();
      try {
        const prepared = req.prepare(target);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        const apiKey = provider.config.apiKey;
        if (prepared.anthropic) {
          headers['anthropic-version'] = ANTHROPIC_VERSION;
          if (apiKey) headers['x-api-key'] = apiKey;
        } else if (apiKey) headers.authorization = `Bearer ${apiKey}`;
        sent = true;
        const response = await provider.pool.request({
          method: 'POST',
          path: provider.basePath + prepared.path,
          headers,
          body: prepared.body,
          signal: req.signal,
        });
        latency.observe({ provider: provider.name }, (performance.now() - started) / 1000);
        if (response.statusCode >= 500 || response.statusCode === 429) {
          await response.body.dump();
          provider.release();
          provider.failed(Date.now());
          attempts.inc({ provider: provider.name, outcome: String(response.statusCode) });
          last = {
            ok: false,
            code: 'upstream_error',
            message: `Upstream ${provider.name} answered ${response.statusCode}.`,
            provider: provider.name,
            sent,
          };
          continue;
        }
        provider.succeeded();
        attempts.inc({ provider: provider.name, outcome: 'ok' });
        let released = false;
        const release = () => {
          if (!released) {
            released = true;
            provider.release();
          }
        };
        return { ok: true, provider, response, release };
      } catch (err) {
        provider.release();
        if (req.signal.aborted) break;
        provider.failed(Date.now());
        const timeout = isTimeout(err);
        attempts.inc({ provider: provider.name, outcome: timeout ? 'timeout' : 'error' });
        last = {
          ok: false,
          code: timeout ? 'upstream_timeout' : 'upstream_error',
          message: timeout ? `Upstream ${provider.name} timed out.` : `Upstream ${provider.name} failed.`,
          provider: provider.name,
          sent,
        };
      }
    }
    return { ...last, sent };
  }

  async onApplicationShutdown() {
    await Promise.all([...this.providers.values()].map((p) => p.close()));
  }
}
