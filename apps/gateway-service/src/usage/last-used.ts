// last_used_at reaches key-service in batches (keys.touch), never as a write per request.
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { SUBJECTS } from '@gw/contracts';
import { Connections, NatsClient } from '@gw/platform';
import { InFlightRequests } from '../http/in-flight.js';
import { CONFIG, type GatewayConfig } from '../config.js';

@Injectable()
export class LastUsedBatcher implements OnModuleInit {
  private pending = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly nats: NatsClient,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    connections: Connections,
    inFlight: InFlightRequests,
  ) {
    // The last touches go out after the last request, before NATS closes.
    connections.beforeClose('last-used', async () => {
      await inFlight.settled();
      clearInterval(this.timer);
      this.flush();
    });
  }

  onModuleInit() {
    this.timer = setInterval(() => this.flush(), this.config.lastUsedFlushMs).unref();
  }

  touch(keyId: string, now: number) {
    this.pending.set(keyId, now);
  }

  flush() {
    if (!this.pending.size || !this.nats.isConnected()) return;
    const batch = this.pending;
    this.pending = new Map();
    const touches = [...batch].map(([keyId, at]) => ({ keyId, at: new Date(at).toISOString() }));
    for (let i = 0; i < touches.length; i += 1000) {
      this.nats.publish(SUBJECTS.keys.touch, { touches: touches.slice(i, i + 1000) });
    }
  }
}
