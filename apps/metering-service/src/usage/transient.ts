// Is this write failure "the database is unreachable or busy right now" (wait and retry, however long) or
// something about the data that retrying cannot fix? Only the second kind may lead to dead-lettering.

/** SQLSTATE classes: 08 connection, 53 insufficient resources, 57 operator intervention, 40 rollback. */
const TRANSIENT_SQLSTATE = /^(08|53|57|40)/;
const TRANSIENT_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** node-postgres and TypeORM say these in words only. */
const TRANSIENT_MESSAGE =
  /connection terminated|connection timeout|timeout exceeded when trying to connect|cannot use a pool after|client has encountered a connection error|connection (is )?closed|not connected/i;

/** Class 57 but about the query, not the server: a statement timeout repeats for the same batch. */
const NOT_TRANSIENT = new Set(['57014']);

export function isTransientDbError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, message, driverError, cause } = e as {
      code?: unknown;
      message?: unknown;
      driverError?: unknown;
      cause?: unknown;
    };
    if (
      typeof code === 'string' &&
      (TRANSIENT_ERRNO.has(code) ||
        (code.length === 5 && TRANSIENT_SQLSTATE.test(code) && !NOT_TRANSIENT.has(code)))
    )
      return true;
    if (typeof message === 'string' && TRANSIENT_MESSAGE.test(message)) return true;
    e = driverError ?? cause;
  }
  return false;
}
