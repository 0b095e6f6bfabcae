// The development OpenID Connect provider: oidc-provider (authorization code + PKCE, one confidential client)
// with one demo user, and the sign-in page in front of it. Local use only.
import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Provider, { type Configuration } from 'oidc-provider';
import type { DevIdpConfig } from './config.js';
import { signInPage, signOutPage, signedOutPage } from './pages.js';

const FORM_LIMIT = 4096;
const digest = (s: string) => createHash('sha256').update(s).digest();

/** The form a sign-in page posts, read within a small bound. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams | 'too-large' | 'not-a-form'> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) return 'not-a-form';
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_LIMIT) return 'too-large';
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function html(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}

export function createDevIdp(config: DevIdpConfig) {
  const { user, client } = config;
  const accountId = `dev|${user.username}`;
  const passwordDigest = digest(user.password);
  const usernameDigest = digest(user.username);
  // A fresh signing key each start: tokens of a previous run stop verifying, as they should.
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = {
    ...privateKey.export({ format: 'jwk' }),
    kid: randomBytes(8).toString('hex'),
    alg: 'ES256',
    use: 'sig',
  };

  const configuration: Configuration = {
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        redirect_uris: client.redirectUris,
        post_logout_redirect_uris: client.postLogoutRedirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [jwk] },
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    scopes: ['openid', 'profile', 'email', 'groups'],
    // The console's backend reads who signed in from the ID token alone.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = 'html';
          ctx.body = signOutPage(form);
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.body = signedOutPage();
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, id) =>
      id === accountId
        ? {
            accountId,
            claims: () => ({
              sub: accountId,
              name: 'Demo User',
              preferred_username: user.username,
              email: `${user.username}@example.test`,
              email_verified: true,
              groups: user.groups,
            }),
          }
        : undefined,
    renderError: (ctx, out) => {
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = `${out.error}: ${out.error_description ?? ''}\n`;
    },
  };
  const provider = new Provider(config.issuer, configuration);
  const oidc = provider.callback();

  /** The sign-in step (login prompt) and the one client's consent, granted as asked. */
  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, submit: boolean) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return html(res, 400, 'Unknown sign-in.');
    const { prompt, params } = details;
    if (prompt.name === 'login') {
      const action = `/interaction/${uid}/login`;
      if (!submit) return html(res, 200, signInPage({ action }));
      if (req.method !== 'POST') return html(res, 405, 'Method not allowed.');
      const form = await readForm(req);
      if (form === 'too-large') {
        res.setHeader('connection', 'close');
        return html(res, 413, signInPage({ action, error: 'That was too long.' }));
      }
      if (form === 'not-a-form') return html(res, 415, signInPage({ action, error: 'Use the form.' }));
      const username = form.get('username') ?? '';
      // Both compared every time, in constant time, so a wrong username answers as fast as a wrong password.
      const nameOk = timingSafeEqual(digest(username), usernameDigest);
      const passwordOk = timingSafeEqual(digest(form.get('password') ?? ''), passwordDigest);
      if (!nameOk || !passwordOk)
        return html(res, 401, signInPage({ action, username, error: 'Wrong username or password.' }));
      return provider.interactionFinished(
        req,
        res,
        { login: { accountId } },
        { mergeWithLastSubmission: false },
      );
    }
    if (prompt.name === 'consent') {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session!.accountId, clientId: String(params.client_id) });
      if (!grant) return html(res, 400, 'Unknown grant.');
      const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      return provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    }
    return html(res, 400, 'Unsupported step.');
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const match = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/login)?$/.exec(path);
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
      return;
    }
    if (!match) return void oidc(req, res);
    interaction(req, res, match[1], !!match[2]).catch((err: unknown) => {
      // An expired or unknown interaction (its cookie gone) is the user's to restart, not a server error.
      const name = err instanceof Error ? err.name : '';
      if (!res.headersSent)
        html(
          res,
          name === 'SessionNotFound' ? 400 : 500,
          'This sign-in expired: start again from the application.',
        );
      else res.destroy();
    });
  });

  return {
    server,
    provider,
    listen: () =>
      new Promise<string>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const address = server.address();
          resolve(
            `http://${config.host}:${typeof address === 'object' && address ? address.port : config.port}`,
          );
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
