// Cursor pages, newest first by (time, id): webhooks, deliveries and the audit log share this.
import { ok, type Page, type Result } from '@gw/contracts';
import type { SelectQueryBuilder } from 'typeorm';
import { encodeCursor, pageAfter } from './keys/key-view.js';

/**
 * One page of `qb`'s rows after the `cursor` position, `limit` long. `time` and `id` name the columns
 * (alias included) the order uses; `timeOf` reads the time back from a row for the next cursor.
 */
export async function newestFirst<E extends { id: string }>(
  qb: SelectQueryBuilder<E>,
  columns: { time: string; id: string },
  query: { cursor?: string; limit: number },
  timeOf: (row: E) => Date,
): Promise<Result<Page<E>>> {
  const after = pageAfter(query.cursor);
  if (!after.ok) return after;
  if (after.value) {
    qb.andWhere(`(${columns.time}, ${columns.id}) < (:cAt, :cId)`, {
      cAt: after.value.createdAt,
      cId: after.value.id,
    });
  }
  const rows = await qb
    .orderBy(columns.time, 'DESC')
    .addOrderBy(columns.id, 'DESC')
    .limit(query.limit + 1)
    .getMany();
  const data = rows.slice(0, query.limit);
  const last = data[data.length - 1];
  const more = rows.length > query.limit;
  return ok({ data, nextCursor: more ? encodeCursor({ createdAt: timeOf(last), id: last.id }) : null });
}
