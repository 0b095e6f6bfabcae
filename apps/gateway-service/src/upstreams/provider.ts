// One upstream provider: a keep-alive connection pool, a concurrency limit that lets the enterprise tier
// go first, and a circuit breaker.
import { Pool } from 'undici';
import type { ProviderConfig } from './upstream-config.js';

const BREAKER_THRESHOLD = 5;
const BREAKER_OPEN_MS = 10_000;

export class Provider {
  readonly pool: Pool;
  /** Path prefix of the base URL (e.g. /v1 of https://host/v1), joined to each request path. */
  readonly basePath: string;
  private inFlight = 0;
  private readonly priorityWaiters: (() => void)[] = [];
  private readonly waiters: (() => void)[] = [];
  private failures = 0;
  private openUntil = 0;

  constructor(readonly config: ProviderConfig) {
    this.basePath = new URL(config.baseUrl).pathname.replace(/\/$/, '');
    this.pool = new Pool(new URL(config.baseUrl).origin, {
      connections: config.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
      // The gateway follows no redirects; undici's pool does not either.
    });
  }

  get name() {
    return this.config.name;
  }

  /** Closed, or open long enough ago that one probe may pass (half-open). */
  available(now: number): boolean {
    return this.openUntil <= now;
  }

  succeeded() {
    this.failures = 0;
    this.openUntil = 0;
  }

  failed(now: number) {
    this.failures += 1;
    if (this.failures >= BREAKER_THRESHOLD) this.openUntil = now + BREAKER_OPEN_MS;
  }

  /** Resolves when a slot is free; priority callers are served before the others. Synchronous when free. */
  acquire(priority: boolean): Promise<void> | undefined {
    if (this.inFlight < this.config.maxConcurrency) {
      this.inFlight += 1;
      return undefined;
    }
    return new Promise((resolve) => (priority ? this.priorityWaiters : this.waiters).push(resolve));
  }

  release() {
    const next = this.priorityWaiters.shift() ?? this.waiters.shift();
    if (next) next();
    else this.inFlight -= 1;
  }

  close() {
    return this.pool.close();
  }
}
