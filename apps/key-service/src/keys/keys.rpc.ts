// NATS request/reply for internal services: the same service methods, the caller from the passed actor.
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { type Actor, QUEUE_GROUPS, type Result, SUBJECTS } from '@gw/contracts';
import { NatsClient } from '@gw/platform';
import { AccessService } from '../access/access.service.js';
import type { Caller } from '../access/caller.js';
import { KeyLookupService } from './key-lookup.service.js';
import { UsageService } from '../usage/usage.service.js';
import { KeysService } from './keys.service.js';

@Injectable()
export class KeysRpc implements OnApplicationBootstrap {
  constructor(
    private readonly nats: NatsClient,
    private readonly access: AccessService,
    private readonly keys: KeysService,
    private readonly lookup: KeyLookupService,
    private readonly usage: UsageService,
  ) {}

  private async as<T>(actor: Actor, work: (caller: Caller) => Promise<Result<T>>): Promise<Result<T>> {
    const caller = await this.access.fromActor(actor, { via: 'nats', requestId: null, address: null });
    return caller.ok ? work(caller.value) : caller;
  }

  onApplicationBootstrap() {
    const q = QUEUE_GROUPS.keyService;
    const s = SUBJECTS.keys;
    this.nats.serve(s.create, q, (r) => this.as(r.actor, (c) => this.keys.create(c, r.input)));
    this.nats.serve(s.get, q, (r) => this.as(r.actor, (c) => this.keys.get(c, r.id)));
    this.nats.serve(s.list, q, (r) => this.as(r.actor, (c) => this.keys.list(c, r.query)));
    this.nats.serve(s.update, q, (r) => this.as(r.actor, (c) => this.keys.update(c, r.id, r.input)));
    this.nats.serve(s.regenerate, q, (r) => this.as(r.actor, (c) => this.keys.regenerate(c, r.id, r.input)));
    this.nats.serve(s.delete, q, (r) => this.as(r.actor, (c) => this.keys.delete(c, r.id)));
    this.nats.serve(s.lookup, q, async (r) => ({ ok: true, value: await this.lookup.lookup(r.hash) }));
    this.nats.serve(s.usage, q, (r) =>
      this.as(r.actor, (c) =>
        r.keyId ? this.usage.forKey(c, r.keyId, r.query) : this.usage.forOwner(c, r.owner!, r.query),
      ),
    );
  }
}
