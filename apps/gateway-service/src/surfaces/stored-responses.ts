// Which owner a Response stored at a provider belongs to. A provider speaking the Responses API keeps what it
// answered (`store`), in the operator's one account: without this, any tenant holding another's `resp_…` id
// could continue that conversation through `previous_response_id` and have it repeated back. Every gateway
// replica shares the record (Redis), for as long as OpenAI keeps a stored response.
import { Inject, Injectable } from '@nestjs/common';
import { REDIS, type RedisClient, type Logger } from '@gw/platform';
import { LOGGER } from '../config.js';

const TTL_S = 30 * 86_400;
/** Ids the gateway records and looks up: a provider's `resp_…`, nothing a client could make a long key of. */
export const STORED_ID = /^[\w-]{1,128}$/;
const keyOf = (id: string) => `resp:${id}`;

@Injectable()
export class StoredResponses {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Records who owns a stored response; a failure is logged (the owner's next turn is then refused). */
  record(id: unknown, owner: string): void {
    if (typeof id !== 'string' || !STORED_ID.test(id)) return;
    // NX: an id already recorded stays its first owner's.
    this.redis.set(keyOf(id), owner, 'EX', TTL_S, 'NX').catch((err: unknown) => {
      this.logger.warn({ err }, 'could not record the owner of a stored response');
    });
  }

  /** Whether `owner` owns the stored response; undefined when that cannot be known now (Redis). */
  async ownedBy(id: string, owner: string): Promise<boolean | undefined> {
    try {
      return (await this.redis.get(keyOf(id))) === owner;
    } catch {
      return undefined;
    }
  }
}
