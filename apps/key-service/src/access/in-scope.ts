// The one SQL form of an OwnerScope: rows whose owner columns name one of the scope's owners.
import { Brackets, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import type { OwnerScope } from './caller.js';

/** Narrows `qb` to rows of `alias` (with owner_type/owner_id columns) that the scope covers. */
export function inScope<E extends ObjectLiteral>(
  qb: SelectQueryBuilder<E>,
  alias: string,
  scope: OwnerScope,
): SelectQueryBuilder<E> {
  if (scope.all) return qb;
  if (!scope.owners.length) return qb.andWhere('false');
  return qb.andWhere(
    new Brackets((or) =>
      scope.owners.forEach((o, i) =>
        or.orWhere(`(${alias}.owner_type = :scopeType${i} AND ${alias}.owner_id = :scopeId${i})`, {
          [`scopeType${i}`]: o.type,
          [`scopeId${i}`]: o.id,
        }),
      ),
    ),
  );
}
