// key-service's questions to metering-service over NATS: spend per period (key views) and usage reports.
import { Inject, Injectable } from '@nestjs/common';
import {
  fail,
  type OwnerRef,
  type Result,
  type RpcReply,
  SUBJECTS,
  type SpendReply,
  type UsageQueryReply,
} from '@gw/contracts';
import { NatsClient } from '@gw/platform';
import { CONFIG } from '../tokens.js';
import type { KeyServiceConfig } from '../config.js';

const result = <T>(r: RpcReply<T>): Result<T> => (r.ok ? { ok: true, value: r.data } : r);

@Injectable()
export class MeteringClient {
  constructor(
    private readonly nats: NatsClient,
    @Inject(CONFIG) private readonly config: KeyServiceConfig,
  ) {}

  /** undefined when metering does not answer in time: views then show `used: null` rather than fail. */
  async spend(owner: OwnerRef, keys: { keyId: string; period: string }[]): Promise<SpendReply | undefined> {
    const r = await this.nats.request(SUBJECTS.metering.spend, { owner, keys }, this.config.spendTimeoutMs);
    return r.ok ? r.data : undefined;
  }

  async usage(
    owner: OwnerRef,
    keyId: string | undefined,
    from: Date,
    to: Date,
  ): Promise<Result<UsageQueryReply>> {
    const reply = await this.nats.request(SUBJECTS.metering.usageQuery, {
      owner,
      keyId,
      from: from.toISOString(),
      to: to.toISOString(),
    });
    // Metering failing (its database down, a replica in trouble) is a dependency outage here: 503, not 500.
    if (!reply.ok && reply.error.code !== 'invalid_request')
      return fail('service_unavailable', 'Usage cannot be read from metering right now.');
    return result(reply);
  }
}
