// A person who signs in is an account: found by the provider's issuer and subject (linked at an earlier
// sign-in or by the operator), or created with the default tier at the first sign-in unless only linked
// people may sign in (and the creation audited). Organization roles from groups are brought in step. Every
// sign-in is in the audit log.
import { Inject, Injectable } from '@nestjs/common';
import { ApiException } from '@gw/platform';
import { DataSource } from 'typeorm';
import type { Caller, CallOrigin } from '../access/caller.js';
import { AuditLog } from '../audit/audit-log.js';
import type { SignedIn } from './oidc-client.js';
import { CONFIG } from '../tokens.js';
import type { KeyServiceConfig } from '../config.js';
import { rolesFromGroups, syncGroupMemberships } from './group-memberships.js';

/** The outcome of a sign-in: the person's account, or none when only linked people may sign in. */
export type SignInOutcome = { accountId: string; active: boolean } | { accountId: null; active: false };

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
  async signIn(person: SignedIn, operator: boolean, origin: CallOrigin): Promise<SignInOutcome> {
    try {
      return await this.attempt(person, operator, origin);
    } catch (err) {
      if ((err as { driverError?: { code?: string } }).driverError?.code !== '23505') throw err;
      return this.attempt(person, operator, origin);
    }
  }

  private attempt(person: SignedIn, operator: boolean, origin: CallOrigin): Promise<SignInOutcome> {
    const settings = this.config.consoleAuth!;
    return this.ds.transaction(async (em) => {
      const found = (await em.query(
        `UPDATE keys.sign_in_identities SET last_sign_in_at = now()
          WHERE issuer = $1 AND subject = $2 RETURNING account_id`,
        [person.issuer, person.subject],
      )) as [{ account_id: string }[], number];
      let accountId = found[0][0]?.account_id;
      if (!accountId && settings.provisioning === 'operator-linked' && !operator)
        return { accountId: null, active: false };
      if (!accountId) {
        const tier = (await em.query(`SELECT 1 FROM keys.tiers WHERE name = $1`, [
          settings.defaultTier,
        ])) as unknown[];
        if (!tier.length)
          throw ApiException.of(
            'service_unavailable',
            'New people cannot sign in right now: the tier for new accounts (OIDC_DEFAULT_TIER) does not exist.',
          );
        const [account] = (await em.query(
          `INSERT INTO keys.accounts (name, tier) VALUES ($1, $2) RETURNING id`,
          [person.name, settings.defaultTier],
        )) as { id: string }[];
        accountId = account.id;
        // A concurrent first sign-in of the same person fails here (primary key): this one rolls back.
        await em.query(
          `INSERT INTO keys.sign_in_identities (issuer, subject, account_id, last_sign_in_at)
             VALUES ($1, $2, $3, now())`,
          [person.issuer, person.subject, accountId],
        );
        await this.audit.record(
          em,
          { kind: 'system', service: 'key-service' },
          {
            action: 'account.created',
            target: { type: 'account', id: accountId },
            owner: { type: 'account', id: accountId },
            changes: { name: { after: person.name }, tier: { after: settings.defaultTier } },
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
      if (settings.organizationGroupPrefix)
        await syncGroupMemberships(
          em,
          this.audit,
          accountId,
          rolesFromGroups(person.groups, settings.organizationGroupPrefix),
        );
      await this.audit.record(em, consoleActor(accountId, operator, origin), {
        action: 'console.sign_in',
        target: { type: 'account', id: accountId },
        owner: { type: 'account', id: accountId },
        changes: { subject: { after: person.subject }, operator: { after: operator } },
      });
      return { accountId, active };
    });
  }

  /** A sign-in the console refused (not linked, outside the allowed group, suspended): who and why. */
  async refused(person: SignedIn, reason: string, accountId: string | null): Promise<void> {
    await this.audit.record(
      this.ds.manager,
      { kind: 'system', service: 'key-service' },
      {
        action: 'console.sign_in_refused',
        target: accountId ? { type: 'account', id: accountId } : { type: 'identity', id: person.subject },
        owner: accountId ? { type: 'account', id: accountId } : null,
        changes: { subject: { after: person.subject }, reason: { after: reason } },
      },
    );
  }

  /** A sign-out, by the person it was. */
  async signedOut(accountId: string, operator: boolean, origin: CallOrigin): Promise<void> {
    await this.audit.record(this.ds.manager, consoleActor(accountId, operator, origin), {
      action: 'console.sign_out',
      target: { type: 'account', id: accountId },
      owner: { type: 'account', id: accountId },
      changes: {},
    });
  }
}

/** The caller a console session is, for the audit log. */
function consoleActor(accountId: string, operator: boolean, origin: CallOrigin): Caller {
  return operator
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
}
