// The console's sign-in as a backend-for-frontend: GET /auth/login → the provider → GET /auth/callback → an
// HttpOnly session cookie; GET /auth/session tells the console who is signed in and its CSRF token; POST
// /auth/logout ends the session. Only present when OIDC_ISSUER is configured.
import { timingSafeEqual } from 'node:crypto';
import { Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { apiError } from '@gw/contracts';
import { ApiException, type Logger } from '@gw/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OwnersRepository } from '../access/owners.repository.js';
import { CLOCK, type Clock, LOGGER } from '../tokens.js';
import { SignInIdentities } from './identities.js';
import { OidcClient } from './oidc-client.js';
import { ConsoleSessions, hash, randomId, SIGN_IN_TTL_MS } from './sessions.js';
import { SESSION_COOKIE, sessionOf } from './session-caller.js';

const SIGN_IN_COOKIE = 'gw_signin';
/** Where a signed-in browser lands (the console, served by key-service). */
const AFTER_SIGN_IN = '/console/';

const sameHash = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

@ApiExcludeController()
@Controller('auth')
export class ConsoleAuthController {
  constructor(
    private readonly oidc: OidcClient,
    private readonly sessions: ConsoleSessions,
    private readonly identities: SignInIdentities,
    private readonly owners: OwnersRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Cookies are Secure unless the console is served over plain http on this machine (development). */
  private get secure() {
    return new URL(this.oidc.settings.redirectUri).protocol === 'https:';
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
    const browser = randomId();
    await this.sessions.startSignIn(started.state, {
      verifier: started.verifier,
      nonce: started.nonce,
      browser: hash(browser),
    });
    return reply
      .setCookie(SIGN_IN_COOKIE, browser, {
        httpOnly: true,
        sameSite: 'lax',
        secure: this.secure,
        path: '/auth',
        maxAge: SIGN_IN_TTL_MS / 1000,
      })
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
    // One use per attempt, and only in the browser that started it (a link with someone else's code fails).
    const attempt = state ? await this.sessions.takeSignIn(state) : undefined;
    if (!attempt) return refuse('This sign-in is unknown or was already used: start again.');
    const browser = req.cookies[SIGN_IN_COOKIE];
    if (!browser || !sameHash(hash(browser), attempt.browser))
      return refuse('This sign-in was started in another browser: start again.');
    let person;
    try {
      person = await this.oidc.finish(url.search, {
        state,
        verifier: attempt.verifier,
        nonce: attempt.nonce,
      });
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : err }, 'sign-in callback refused');
      return refuse('The sign-in could not be verified: start again.');
    }
    const operatorGroup = this.oidc.settings.operatorGroup;
    const operator = !!operatorGroup && person.groups.includes(operatorGroup);
    const origin = { via: 'rest' as const, requestId: String(req.id), address: req.ip ?? null };
    const accountId = await this.identities.accountOf(person, operator, origin);
    const account = await this.owners.find({ type: 'account', id: accountId });
    if (!operator && account?.status !== 'active') throw new ApiException(apiError('account_restricted'));
    const ttlMs = this.oidc.settings.sessionTtlMs;
    const { id } = await this.sessions.create(
      { accountId, operator, issuer: person.issuer, subject: person.subject },
      ttlMs,
      this.clock.now(),
    );
    return reply
      .clearCookie(SIGN_IN_COOKIE, { path: '/auth' })
      .setCookie(SESSION_COOKIE, id, {
        httpOnly: true,
        sameSite: 'lax',
        secure: this.secure,
        path: '/',
        maxAge: Math.floor(ttlMs / 1000),
      })
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

  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const found = await sessionOf(this.sessions, req);
    if (found) {
      const sent = req.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !sameHash(sent, found.session.csrf))
        throw new ApiException(apiError('insufficient_permissions', 'Missing or wrong CSRF token.'));
      await this.sessions.revoke(found.id);
    }
    return reply.clearCookie(SESSION_COOKIE, { path: '/' }).status(204).send();
  }
}
