// auth.verify: format → Redis cache → key-service (keys.lookup) on a miss → the access checks.
import { Inject, Injectable } from '@nestjs/common';
import {
  type ApiError,
  apiError,
  fail,
  type KeyRecord,
  ok,
  type Result,
  type RpcRequest,
} from '@gw/contracts';
import { checkAccess, compilePrincipal } from '@gw/access';
import { hashKey, type KeyFormat } from '@gw/key-format';
import { counter, NatsClient } from '@gw/platform';
import { type AuthConfig, CONFIG } from '../config.js';
import { type Cached, RecordCache } from './record-cache.js';

export const KEY_FORMAT = Symbol('KEY_FORMAT');

const verdicts = counter('auth_verify_total', 'auth.verify verdicts', ['result']);
const lookups = counter('auth_cache_lookups_total', 'Record cache lookups', ['result']);

type VerifyRequest = Omit<RpcRequest<'auth.verify'>, 'hash' | 'key'> & { hash?: string; key?: string };

@Injectable()
export class VerifyService {
  constructor(
    private readonly cache: RecordCache,
    private readonly nats: NatsClient,
    @Inject(KEY_FORMAT) private readonly format: KeyFormat,
    @Inject(CONFIG) private readonly config: AuthConfig,
  ) {}

  async verify(req: VerifyRequest): Promise<Result<{ principal: KeyRecord }>> {
    let hash = req.hash;
    if (req.key !== undefined) {
      // Format and checksum failures never reach Redis or key-service.
      if (!this.format.parse(req.key).ok) return this.deny(apiError('invalid_api_key'));
      hash = hashKey(req.key);
    }
    const record = await this.record(hash!, req.fresh === true);
    if (!record.ok) return this.deny(record.error);
    const error = checkAccess(compilePrincipal(record.value), req, Date.now());
    if (error) return this.deny(apiError(error));
    verdicts.inc({ result: 'ok' });
    return ok({ principal: record.value });
  }

  private async record(hash: string, fresh: boolean): Promise<Result<KeyRecord>> {
    const cached: Cached = fresh ? { kind: 'miss' } : await this.cache.get(hash);
    if (cached.kind === 'record') {
      lookups.inc({ result: 'hit' });
      return ok(cached.record);
    }
    if (cached.kind === 'unknown') {
      lookups.inc({ result: 'negative' });
      return fail('invalid_api_key');
    }
    lookups.inc({ result: 'miss' });
    const reply = await this.nats.request('keys.lookup', { hash }, this.config.lookupTimeoutMs);
    if (!reply.ok) return { ok: false, error: reply.error };
    if (!reply.data.found) {
      await this.cache.putUnknown(hash);
      return fail('invalid_api_key');
    }
    await this.cache.put(hash, reply.data.record);
    return ok(reply.data.record);
  }

  private deny(error: ApiError): Result<never> {
    verdicts.inc({ result: error.code });
    return { ok: false, error };
  }
}
