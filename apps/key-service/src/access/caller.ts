import type { OwnerRef, Permission } from '@gw/contracts';

/** The resolved acting principal of a management call. */
export type Caller =
  | { kind: 'operator' }
  | {
      kind: 'principal';
      /** The owner the caller acts for by default. */
      owner: OwnerRef;
      /** The account behind the caller, when there is one: its org roles extend what it may manage. */
      accountId: string | null;
      permissions: Permission[];
      keyId: string | null;
    };

/** Which owners' data a caller may touch: everything (operator) or a fixed list. */
export type OwnerScope = { all: true } | { all: false; owners: OwnerRef[] };

export const sameOwner = (a: OwnerRef, b: OwnerRef) => a.type === b.type && a.id === b.id;

export function hasPermission(caller: Caller, needed: Permission): boolean {
  if (caller.kind === 'operator') return true;
  return caller.permissions.includes('admin') || caller.permissions.includes(needed);
}

/** Reading own data needs read, write or admin; changing it needs write or admin. */
export function canRead(caller: Caller): boolean {
  return hasPermission(caller, 'read') || hasPermission(caller, 'write');
}
