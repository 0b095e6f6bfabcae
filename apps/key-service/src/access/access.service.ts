// Who is calling, and which owners they may act for. The same rules for REST (bearer) and NATS (actor).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  type Actor,
  fail,
  ipInRanges,
  type IpRange,
  ok,
  type OwnerRef,
  parseIpRange,
  type Permission,
  type Result,
} from '@gw/contracts';
import { hashKey, type KeyFormat } from '@gw/key-format';
import { PERMISSIONS } from '@gw/contracts';
import type { KeyServiceConfig } from '../config.js';
import { presentedKeyError } from '../keys/key-state.js';
import { KeysRepository } from '../keys/keys.repository.js';
import { CLOCK, type Clock, CONFIG, KEY_FORMAT } from '../tokens.js';
import { type CallOrigin, type Caller, hasPermission, type OwnerScope, sameOwner } from './caller.js';
import { isRestricted } from './key-bounds.js';
import { OwnersRepository } from './owners.repository.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

@Injectable()
export class AccessService {
  private readonly adminDigest: Buffer;
  /** The token being rotated away (ADMIN_TOKEN_PREVIOUS), or a digest nothing matches. */
  private readonly previousDigest: Buffer;

  constructor(
    @Inject(CONFIG) config: KeyServiceConfig,
    @Inject(KEY_FORMAT) private readonly format: KeyFormat,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly keys: KeysRepository,
    private readonly owners: OwnersRepository,
  ) {
    this.adminDigest = digest(config.adminToken);
    this.previousDigest = config.adminTokenPrevious
      ? digest(config.adminTokenPrevious)
      : digest(randomBytes(32).toString('hex'));
  }

  /**
   * `Authorization: Bearer <admin token | key>` → the caller, or the catalogue's authentication error. A key's
   * own restrictions (status, expiry, IP allow-list) apply to management calls as to inference.
   */
  async fromBearer(header: string | undefined, origin: CallOrigin): Promise<Result<Caller>> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) return fail('missing_api_key');
    const token = match[1];
    // Equal-length digests: constant time whatever the presented length; both compared every time.
    const presented = digest(token);
    const current = timingSafeEqual(presented, this.adminDigest);
    const previous = timingSafeEqual(presented, this.previousDigest);
    if (current || previous) return ok({ kind: 'operator', origin });
    if (!this.format.parse(token).ok) return fail('invalid_api_key');
    const found = await this.keys.findByHash(hashKey(token));
    if (!found) return fail('invalid_api_key');
    if (found.retiredValidUntil) {
      // A secret in its grace period keeps clients running; it must not manage anything (e.g. regenerate
      // the key again and take it over).
      return fail('key_revoked', 'This secret was replaced by regenerate: it serves inference only.');
    }
    return this.principalOfKey(found.key.id, origin);
  }

  /** Internal NATS callers name their acting principal; it is checked exactly as a bearer would be. */
  async fromActor(actor: Actor, origin: CallOrigin): Promise<Result<Caller>> {
    if (actor.type === 'operator') return ok({ kind: 'operator', origin });
    if (actor.type === 'key') return this.principalOfKey(actor.id, origin);
    const account = await this.owners.accounts.findOneBy({ id: actor.id });
    if (!account) return fail('not_found', 'Account not found.', 'actor.id');
    if (account.status !== 'active') return fail('account_restricted');
    return ok({
      kind: 'principal',
      owner: { type: 'account', id: account.id },
      accountId: account.id,
      permissions: [...PERMISSIONS],
      keyId: null,
      key: null,
      origin,
    });
  }

  private async principalOfKey(keyId: string, origin: CallOrigin): Promise<Result<Caller>> {
    const key = await this.keys.findInScope(keyId, { all: true });
    if (!key) return fail('key_revoked');
    const owner = await this.owners.find({ type: key.ownerType, id: key.ownerId });
    const error = presentedKeyError(key, owner?.status ?? 'suspended', null, this.clock.now());
    if (error) return fail(error);
    // NATS callers carry no client address: their network identity is the service's (issue #10). Over
    // REST an unknown address fails closed.
    if (origin.via === 'rest' && key.ipAllowlist.length) {
      const ranges = key.ipAllowlist.map(parseIpRange).filter((r): r is IpRange => !!r);
      if (origin.address === null || !ipInRanges(origin.address, ranges)) return fail('ip_not_allowed');
    }
    return ok({
      kind: 'principal',
      owner: { type: key.ownerType, id: key.ownerId },
      accountId: key.ownerType === 'account' ? key.ownerId : null,
      permissions: key.permissions,
      keyId: key.id,
      key: {
        permissions: key.permissions,
        allowedModels: key.allowedModels,
        ipAllowlist: key.ipAllowlist,
        expiresAt: key.expiresAt,
        quotaType: key.quotaType,
        quotaLimit: key.quotaLimit,
        rpm: key.rpm,
        tpm: key.tpm,
        group: key.group,
      },
      origin,
    });
  }

  /**
   * The owners whose keys this caller may see and manage: its own, and orgs its account administers —
   * unless the acting key has restrictions of its own (it then acts for its own owner only: its bounds
   * say nothing about another owner's tier, groups or credit).
   */
  async scope(caller: Caller): Promise<OwnerScope> {
    if (caller.kind === 'operator') return { all: true };
    const owners: OwnerRef[] = [caller.owner];
    if (caller.accountId && !(caller.key && isRestricted(caller.key))) {
      for (const id of await this.owners.administeredOrganizations(caller.accountId)) {
        owners.push({ type: 'organization', id });
      }
    }
    return { all: false, owners };
  }

  /**
   * The owner a call acts for. The operator must name one; others default to their own and may name an
   * org they administer. A plain member gets 403 (they know the org); a stranger gets 404.
   */
  async resolveOwner(
    caller: Caller,
    requested: OwnerRef | undefined,
    param = 'owner',
  ): Promise<Result<OwnerRef>> {
    if (caller.kind === 'operator') {
      if (!requested) return fail('invalid_request', 'The operator must name the owner.', param);
      const found = await this.owners.find(requested);
      return found ? ok(requested) : fail('not_found', 'Owner not found.', param);
    }
    if (!requested || sameOwner(requested, caller.owner)) return ok(caller.owner);
    if (requested.type === 'organization' && caller.accountId) {
      const role = await this.owners.role(requested.id, caller.accountId);
      if ((role === 'owner' || role === 'admin') && caller.key && isRestricted(caller.key))
        return fail(
          'insufficient_permissions',
          'A key with restrictions acts for its own owner only.',
          param,
        );
      if (role === 'owner' || role === 'admin') return ok(requested);
      if (role === 'member')
        return fail('insufficient_permissions', 'Only org owners and admins manage org keys.', param);
    }
    return fail('not_found', 'Owner not found.', param);
  }

  /** Whose items a list call shows: `ownerType` + `ownerId` when given (both or neither), else the caller's. */
  async listedOwner(
    caller: Caller,
    query: { ownerType?: OwnerRef['type']; ownerId?: string },
  ): Promise<Result<OwnerRef>> {
    if (!query.ownerType !== !query.ownerId) {
      const param = query.ownerType ? 'ownerId' : 'ownerType';
      return fail('invalid_request', 'ownerType and ownerId go together.', param);
    }
    const requested =
      query.ownerType && query.ownerId ? { type: query.ownerType, id: query.ownerId } : undefined;
    return this.resolveOwner(caller, requested, 'ownerId');
  }

  /** A key cannot hand out more than it holds (admin holds everything). */
  canGrant(caller: Caller, permissions: Permission[]): boolean {
    return permissions.every((p) => hasPermission(caller, p));
  }
}
