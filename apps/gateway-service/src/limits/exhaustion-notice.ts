// Tells everyone (key-service marks the key; every gateway and auth-service drop the cached principal) that
// a key's quota or an owner's credit is used up. Refused requests repeat it: once per subject every 10 s.
import { Injectable } from '@nestjs/common';
import type { CreditLimits, Principal } from '@gw/access';
import { SUBJECTS } from '@gw/contracts';
import { NatsClient } from '@gw/platform';

const REPEAT_MS = 10_000;

@Injectable()
export class ExhaustionNotice {
  private readonly sent = new Map<string, number>();

  constructor(private readonly nats: NatsClient) {}

  publish(p: Principal, scope: 'key_quota' | 'owner_credit', limits: CreditLimits, now: number) {
    const period = scope === 'key_quota' && limits.key ? limits.key.period : 'lifetime';
    const subject = scope === 'key_quota' ? `k:${p.record.id}:${period}` : `o:${p.record.owner.id}`;
    if ((this.sent.get(subject) ?? 0) > now - REPEAT_MS) return;
    if (this.sent.size > 10_000) this.sent.clear();
    this.sent.set(subject, now);
    const owner = { type: p.record.owner.type, id: p.record.owner.id };
    const at = new Date(now).toISOString();
    try {
      this.nats.publish(
        SUBJECTS.events.quotaExhausted,
        scope === 'key_quota' ? { keyId: p.record.id, owner, period, at } : { owner, period, at },
      );
    } catch {
      // NATS down: the quota check refuses anyway; the next refused request tries again.
      this.sent.delete(subject);
    }
  }
}
