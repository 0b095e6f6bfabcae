import { Injectable } from '@nestjs/common';

export type ReadinessCheck = () => Promise<unknown> | unknown;

/** Dependencies a service needs to answer safely; /readyz reports them. Liveness never depends on them. */
@Injectable()
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  private draining = false;
  private refusing = false;

  add(name: string, check: ReadinessCheck) {
    this.checks.set(name, check);
  }

  /** SIGTERM: /readyz answers 503 so load balancers stop sending new work; requests are still served. */
  drain() {
    this.draining = true;
  }

  /** Then (after SHUTDOWN_DELAY_MS) the port closes: a request still arriving on an open connection gets 503. */
  refuse() {
    this.draining = true;
    this.refusing = true;
  }

  /** Routes served outside the framework answer 503 while this is true, as Fastify does for its own. */
  get isRefusing() {
    return this.refusing;
  }

  async report(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          const ok = await Promise.race([
            Promise.resolve(check()),
            new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000).unref()),
          ]);
          checks[name] = ok === false ? 'down' : 'up';
        } catch {
          checks[name] = 'down';
        }
      }),
    );
    if (this.draining) checks.shutdown = 'draining';
    return { ready: !this.draining && Object.values(checks).every((v) => v === 'up'), checks };
  }
}
