// The console's sign-in as a backend-for-frontend: GET /auth/login → the provider → GET /auth/callback → an
// HttpOnly session cookie; GET /auth/session tells the console who is signed in and its CSRF token; POST
// /auth/logout ends the session. Only present when OIDC_ISSUER is configured.
import { Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { apiError } from '@gw/contracts';
import { ApiException, type Logger } from '@gw/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CLOCK, type Clock, LOGGER } from '../tokens.js';
import { SignInIdentities } from './identities.js';
import { OidcClient } from './oidc-client.js';
import { ConsoleSessions, sameSecret, SIGN_IN_TTL_MS } from './sessions.js';
import { csrfMatches, sessionOf } from './session-caller.js';

/** Where a signed-in browser lands (the console, served by key-service). */
const AFTER_SIGN_IN = '/console/';
/** Operator rights come from a group at sign-in: they last at most this long before it is checked again. */
const OPERATOR_SESSION_MAX_MS = 3_600_000;

@ApiExcludeController()
@Controller('auth')
export class ConsoleAuthController {
  constructor(
    private readonly oidc: OidcClient,
    private readonly sessions: ConsoleSessions,
    private readonly identities: SignInIdentities,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private cookie(maxAgeMs: number) {
    return {
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: this.sessions.secure,
      path: '/',
      maxAge: Math.floor(maxAgeMs / 1000),
    };
  }

  @Get('login')
  async login(@Res() reply: FastifyReply) {
    let started: Awaited<ReturnType<OidcClient['authorizationUrl']>>;
    try {
      started = await this.oidc.authorizationUrl();
    } catch (err) {
      this.logger.warn({ err }, 'the identity provider cannot be reached');
      throw new ApiException(apiError('service_unavailable', 'The identity provider cannot be reached.'));
    }
    const sealed = this.sessions.seal({
      state: started.state,
      verifier: started.verifier,
      nonce: started.nonce,
      exp: this.clock.now().getTime() + SIGN_IN_TTL_MS,
    });
    return reply
      .setCookie(this.sessions.cookies.signIn, sealed, this.cookie(SIGN_IN_TTL_MS))
      .header('cache-control', 'no-store')
      .redirect(started.url.href, 302);
  }

  @Get('callback')
  async callback(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const url = new URL(req.url, 'http://callback.invalid');
    const state = url.searchParams.get('state') ?? '';
    const refuse = (message: string) => {
      throw new ApiException(apiError('invalid_request', message));
    };
    // Only the browser that started this sign-in holds its attempt (a link with someone else's code fails).
    const attempt = this.sessions.open(req.cookies[this.sessions.cookies.signIn], this.clock.now().getTime());
    if (!attempt || !sameSecret(state, attempt.state))
      return refuse('This sign-in is unknown, expired or was started in another browser: start again.');
    let person;
    try {
      person = await this.oidc.finish(url.search, attempt);
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : err }, 'sign-in callback refused');
      return refuse('The sign-in could not be verified: start again.');
    }
    const settings = this.oidc.settings;
    const operator = !!settings.operatorGroup && person.groups.includes(settings.operatorGroup);
    // Refusals are audited too: who tried, and why.
    const refuseWith = async (reason: string, accountId: string | null, message?: string) => {
      await this.identities.refused(person, reason, accountId);
      throw new ApiException(apiError('account_restricted', message));
    };
    if (!operator && settings.allowedGroup && !person.groups.includes(settings.allowedGroup))
      return refuseWith('not in the allowed group', null, 'This person may not use the console.');
    const origin = { via: 'rest' as const, requestId: String(req.id), address: req.ip ?? null };
    const { accountId, active } = await this.identities.signIn(person, operator, origin);
    if (accountId === null)
      return refuseWith('not linked', null, 'No account is linked to you yet: ask your operator to add you.');
    if (!active) return refuseWith('account suspended', accountId);
    const ttlMs = operator ? Math.min(settings.sessionTtlMs, OPERATOR_SESSION_MAX_MS) : settings.sessionTtlMs;
    // A fresh session id at every sign-in (never one the browser brought), and the previous one ended.
    const previous = await sessionOf(this.sessions, req);
    if (previous) await this.sessions.revoke(previous.id, previous.session.accountId);
    const { id } = await this.sessions.create(
      { accountId, operator, issuer: person.issuer, subject: person.subject, idToken: person.idToken },
      ttlMs,
      this.clock.now(),
    );
    return reply
      .clearCookie(this.sessions.cookies.signIn, { path: '/', secure: this.sessions.secure })
      .setCookie(this.sessions.cookies.session, id, this.cookie(ttlMs))
      .header('cache-control', 'no-store')
      .redirect(AFTER_SIGN_IN, 302);
  }

  /** Who is signed in, and the token every state-changing call must send back as x-csrf-token. */
  @Get('session')
  async session(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const found = await sessionOf(this.sessions, req);
    if (!found) throw new ApiException(apiError('missing_api_key', 'Not signed in.'));
    return reply.header('cache-control', 'no-store').send({
      account: { id: found.session.accountId },
      operator: found.session.operator,
      csrfToken: found.session.csrf,
      expiresAt: found.session.expiresAt,
    });
  }

  /**
   * Ends the console session; answers where the browser goes next to end its session at the provider too
   * (null when the provider has no end-session endpoint or cannot be reached: the console session is over
   * either way).
   */
  @Post('logout')
  @HttpCode(200)
  async logout(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const found = await sessionOf(this.sessions, req);
    let endSessionUrl: string | null = null;
    if (found) {
      if (!csrfMatches(req, found.session))
        throw new ApiException(apiError('insufficient_permissions', 'Missing or wrong CSRF token.'));
      await this.sessions.revoke(found.id, found.session.accountId);
      await this.identities.signedOut(found.session.accountId, found.session.operator, {
        via: 'rest',
        requestId: String(req.id),
        address: req.ip ?? null,
      });
      endSessionUrl = await this.oidc.endSessionUrl(found.session.idToken).catch((err: unknown) => {
        this.logger.warn({ err: err instanceof Error ? err.message : err }, 'no end-session URL at sign-out');
        return null;
      });
    }
    return reply
      .clearCookie(this.sessions.cookies.session, { path: '/', secure: this.sessions.secure })
      .header('cache-control', 'no-store')
      .send({ endSessionUrl });
  }
}
