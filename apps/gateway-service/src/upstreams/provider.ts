// One upstream provider: a keep-alive connection pool, a concurrency limit with a bounded wait queue that
// lets the enterprise tier go first, and a circuit breaker.
import { Pool } from 'undici';
import type { AbortFlag } from './abort-flag.js';
import type { ProviderConfig } from './upstream-config.js';

const BREAKER_THRESHOLD = 5;
const BREAKER_OPEN_MS = 10_000;

export type SlotResult = 'ok' | 'full' | 'timeout' | 'aborted';
type Waiter = () => void;

export class Provider {
  readonly pool: Pool;
  /** Path prefix of the base URL (e.g. /v1 of https://host/v1), joined to each request path. */
  readonly basePath: string;
  private inFlight = 0;
  private readonly priorityWaiters: Waiter[] = [];
  private readonly waiters: Waiter[] = [];
  private failures = 0;
  private openUntil = 0;

  constructor(readonly config: ProviderConfig) {
    this.basePath = new URL(config.baseUrl).pathname.replace(/\/$/, '');
    this.pool = new Pool(new URL(config.baseUrl).origin, {
      // Never fewer connections than slots: a request holding a slot must not then wait, without a
      // deadline, in undici's own queue for a socket.
      connections: Math.max(config.connections, config.maxConcurrency),
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

  /**
   * A slot, or why there is none: the queue is full, the wait passed queueTimeoutMs, or the caller gave up
   * (`signal`). Priority callers are served before the others. Synchronous when a slot is free.
   */
  acquire(priority: boolean, signal: AbortFlag): SlotResult | Promise<SlotResult> {
    if (this.inFlight < this.config.maxConcurrency) {
      this.inFlight += 1;
      return 'ok';
    }
    if (signal.aborted) return 'aborted';
    if (this.waiting >= this.config.maxQueue) return 'full';
    const queue = priority ? this.priorityWaiters : this.waiters;
    return new Promise<SlotResult>((resolve) => {
      const done = (result: SlotResult) => {
        clearTimeout(timer);
        signal.off('abort', onAbort);
        resolve(result);
      };
      const leave = (result: SlotResult) => {
        const i = queue.indexOf(waiter);
        if (i >= 0) queue.splice(i, 1);
        done(result);
      };
      const waiter: Waiter = () => done('ok');
      const onAbort = () => leave('aborted');
      const timer = setTimeout(() => leave('timeout'), this.config.queueTimeoutMs);
      signal.once('abort', onAbort);
      queue.push(waiter);
    });
  }

  /** Hands the slot to the next waiter, or frees it. Call exactly once per 'ok' acquire. */
  release() {
    const next = this.priorityWaiters.shift() ?? this.waiters.shift();
    if (next) next();
    else this.inFlight -= 1;
  }

  get waiting() {
    return this.priorityWaiters.length + this.waiters.length;
  }

  get busy() {
    return this.inFlight;
  }

  close() {
    return this.pool.close();
  }
}
