// A console session as the caller of a management call: the signed-in person's account (all management rights
// over what that account owns and administers), or the operator. State-changing calls must carry the
// session's CSRF token; bearer calls never read the cookie.
import { fail, ok, type Result } from '@gw/contracts';
import type { FastifyRequest } from 'fastify';
import type { OwnersRepository } from '../access/owners.repository.js';
import type { Caller, CallOrigin } from '../access/caller.js';
import { type ConsoleSessions, type SessionRecord, sameSecret } from './sessions.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function sessionOf(
  sessions: ConsoleSessions,
  req: FastifyRequest,
): Promise<{ id: string; session: SessionRecord } | undefined> {
  const id = req.cookies?.[sessions.cookies.session];
  if (!id || id.length > 100) return undefined;
  const session = await sessions.find(id);
  return session ? { id, session } : undefined;
}

/** The x-csrf-token header matches the session's token (compared in constant time, whatever its length). */
export function csrfMatches(req: FastifyRequest, session: SessionRecord): boolean {
  const sent = req.headers['x-csrf-token'];
  return typeof sent === 'string' && sameSecret(sent, session.csrf);
}

export async function callerOfSession(
  sessions: ConsoleSessions,
  owners: OwnersRepository,
  req: FastifyRequest,
  origin: CallOrigin,
): Promise<Result<Caller>> {
  const found = await sessionOf(sessions, req);
  if (!found) return fail('missing_api_key', 'Your console session ended: sign in again.');
  const { session } = found;
  if (!SAFE.has(req.method) && !csrfMatches(req, session))
    return fail('insufficient_permissions', 'Missing or wrong CSRF token (x-csrf-token).');
  // A suspended person loses the console at once, operator sessions included.
  const account = await owners.find({ type: 'account', id: session.accountId });
  if (!account || account.status !== 'active') return fail('account_restricted');
  // The person behind an operator session is named in the audit log.
  if (session.operator) return ok({ kind: 'operator', origin, person: session.accountId });
  return ok({
    kind: 'principal',
    owner: { type: 'account', id: session.accountId },
    accountId: session.accountId,
    permissions: ['admin'],
    keyId: null,
    key: null,
    origin,
  });
}
