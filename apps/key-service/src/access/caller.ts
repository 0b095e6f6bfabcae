import type { OwnerRef, Permission } from '@gw/contracts';
import type { KeyBounds } from './key-bounds.js';

/** Where a call came from, for the audit log: never part of an authorization decision by itself. */
export interface CallOrigin {
  via: 'rest' | 'nats' | 'cli';
  requestId: string | null;
  /** The client address (through trusted proxies), REST only. */
  address: string | null;
}

/** The resolved acting principal of a management call. */
export type Caller =
  | {
      kind: 'operator';
      origin: CallOrigin;
      /** The account of the person acting as the operator (a console session), for the audit log. */
      person?: string;
    }
  | {
      kind: 'principal';
      origin: CallOrigin;
      /** The owner the caller acts for by default. */
      owner: OwnerRef;
      /** The account behind the caller, when there is one: its org roles extend what it may manage. */
      accountId: string | null;
      permissions: Permission[];
      keyId: string | null;
      /** The acting key's own settings and pricing group: what it creates or edits stays within them. */
      key: (KeyBounds & { group: string }) | null;
    };

/** Which owners' data a caller may touch: everything (operator) or a fixed list. */
export type OwnerScope = { all: true } | { all: false; owners: OwnerRef[] };

export const sameOwner = (a: OwnerRef, b: OwnerRef) => a.type === b.type && a.id === b.id;

export function hasPermission(caller: Caller, needed: Permission): boolean {
  if (caller.kind === 'operator') return true;
  return caller.permissions.includes('admin') || caller.permissions.includes(needed);
}

/** Management rights are opt-in: a key without any of these calls models and nothing else. */
export const MANAGEMENT_PERMISSIONS: readonly Permission[] = ['read', 'write', 'admin', 'webhook'];

/** Reading own data needs read, write or admin; changing it needs write or admin. */
export function canRead(caller: Caller): boolean {
  return hasPermission(caller, 'read') || hasPermission(caller, 'write');
}
