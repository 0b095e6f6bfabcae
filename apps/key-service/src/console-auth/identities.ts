// A person who signs in is an account: found by the provider's issuer and subject, or created with the default
// tier at the first sign-in (and the creation audited). Every sign-in is in the audit log.
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Caller, CallOrigin } from '../access/caller.js';
import { AuditLog } from '../audit/audit-log.js';
import type { SignedIn } from './oidc-client.js';
import { CONFIG } from '../tokens.js';
import type { KeyServiceConfig } from '../config.js';

@Injectable()
export class SignInIdentities {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditLog,
    @Inject(CONFIG) private readonly config: KeyServiceConfig,
  ) {}

  /**
   * The person's account (created on their first sign-in) and whether it is active; an allowed sign-in is
   * recorded in the same transaction. Two first sign-ins of one person at once: the loser retries and finds
   * the winner's account.
   */
  async signIn(
    person: SignedIn,
    operator: boolean,
    origin: CallOrigin,
  ): Promise<{ accountId: string; active: boolean }> {
    try {
      return await this.attempt(person, operator, origin);
    } catch (err) {
      if ((err as { driverError?: { code?: string } }).driverError?.code !== '23505') throw err;
      return this.attempt(person, operator, origin);
    }
  }

  private attempt(person: SignedIn, operator: boolean, origin: CallOrigin) {
    return this.ds.transaction(async (em) => {
      const found = (await em.query(
        `UPDATE keys.sign_in_identities SET last_sign_in_at = now()
          WHERE issuer = $1 AND subject = $2 RETURNING account_id`,
        [person.issuer, person.subject],
      )) as [{ account_id: string }[], number];
      let accountId = found[0][0]?.account_id;
      if (!accountId) {
        const [account] = (await em.query(
          `INSERT INTO keys.accounts (name, tier) VALUES ($1, $2) RETURNING id`,
          [person.name, this.config.consoleAuth!.defaultTier],
        )) as { id: string }[];
        accountId = account.id;
        // A concurrent first sign-in of the same person fails here (primary key): this one rolls back.
        await em.query(
          `INSERT INTO keys.sign_in_identities (issuer, subject, account_id) VALUES ($1, $2, $3)`,
          [person.issuer, person.subject, accountId],
        );
        await this.audit.record(
          em,
          { kind: 'system', service: 'key-service' },
          {
            action: 'account.created',
            target: { type: 'account', id: accountId },
            owner: { type: 'account', id: accountId },
            changes: { name: { after: person.name }, tier: { after: this.config.consoleAuth!.defaultTier } },
          },
        );
      }
      const [{ status }] = (await em.query(`SELECT status FROM keys.accounts WHERE id = $1`, [
        accountId,
      ])) as {
        status: string;
      }[];
      const active = status === 'active';
      if (!active) return { accountId, active };
      const actor: Caller = operator
        ? { kind: 'operator', origin, person: accountId }
        : {
            kind: 'principal',
            origin,
            owner: { type: 'account', id: accountId },
            accountId,
            permissions: ['admin'],
            keyId: null,
            key: null,
          };
      await this.audit.record(em, actor, {
        action: 'console.sign_in',
        target: { type: 'account', id: accountId },
        owner: { type: 'account', id: accountId },
        changes: { subject: { after: person.subject }, operator: { after: operator } },
      });
      return { accountId, active };
    });
  }
}
