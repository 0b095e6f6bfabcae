// NATS request/reply for internal services: the same service methods, the caller from the passed actor.
// Each payload was checked against its subject's contract before it reaches a handler here.
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type Actor, QUEUE_GROUPS, type Result, type RpcPayload, SUBJECTS } from '@gw/contracts';
import { AccessService } from '../access/access.service.js';
import type { Caller } from '../access/caller.js';
import { UsageService } from '../usage/usage.service.js';
import { KeysService } from './keys.service.js';

const s = SUBJECTS.keys;
const queue = QUEUE_GROUPS.keyService;

@Controller()
export class KeysRpc {
  constructor(
    private readonly access: AccessService,
    private readonly keys: KeysService,
    private readonly usage: UsageService,
  ) {}

  private async as<T>(actor: Actor, work: (caller: Caller) => Promise<Result<T>>): Promise<Result<T>> {
    const caller = await this.access.fromActor(actor, { via: 'nats', requestId: null, address: null });
    return caller.ok ? work(caller.value) : caller;
  }

  @MessagePattern(s.create, { queue })
  create(@Payload() r: RpcPayload<'keys.create'>) {
    return this.as(r.actor, (c) => this.keys.create(c, r.input));
  }

  @MessagePattern(s.get, { queue })
  get(@Payload() r: RpcPayload<'keys.get'>) {
    return this.as(r.actor, (c) => this.keys.get(c, r.id));
  }

  @MessagePattern(s.list, { queue })
  list(@Payload() r: RpcPayload<'keys.list'>) {
    return this.as(r.actor, (c) => this.keys.list(c, r.query));
  }

  @MessagePattern(s.update, { queue })
  update(@Payload() r: RpcPayload<'keys.update'>) {
    return this.as(r.actor, (c) => this.keys.update(c, r.id, r.input));
  }

  @MessagePattern(s.regenerate, { queue })
  regenerate(@Payload() r: RpcPayload<'keys.regenerate'>) {
    return this.as(r.actor, (c) => this.keys.regenerate(c, r.id, r.input));
  }

  @MessagePattern(s.delete, { queue })
  delete(@Payload() r: RpcPayload<'keys.delete'>) {
    return this.as(r.actor, (c) => this.keys.delete(c, r.id));
  }

  @MessagePattern(s.usage, { queue })
  usageOf(@Payload() r: RpcPayload<'keys.usage'>) {
    return this.as(r.actor, (c) =>
      r.keyId ? this.usage.forKey(c, r.keyId, r.query) : this.usage.forOwner(c, r.owner!, r.query),
    );
  }
}
