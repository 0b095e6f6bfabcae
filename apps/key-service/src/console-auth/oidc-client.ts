// The console's sign-in with the company's OpenID Connect provider, through openid-client: authorization code
// with PKCE (S256), state and nonce, the ID token verified by the library. Discovery is lazy and retried, so
// key-service starts (and serves bearer calls) while the provider is away.
import { Inject, Injectable } from '@nestjs/common';
import * as oidc from 'openid-client';
import { CONFIG } from '../tokens.js';
import type { KeyServiceConfig } from '../config.js';

export type ConsoleAuthConfig = NonNullable<KeyServiceConfig['consoleAuth']>;

export interface SignedIn {
  issuer: string;
  subject: string;
  name: string;
  groups: string[];
  /** The ID token, kept with the session as the hint for ending the provider's session at sign-out. */
  idToken: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A provider's name claim as an account name: control and format characters (NUL, bidi overrides) removed,
 * spaces collapsed, at most 64 characters — what the API's own names allow.
 */
export function displayName(claim: string): string {
  const clean = claim
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
  return [...clean].slice(0, 64).join('').trim();
}

@Injectable()
export class OidcClient {
  private discovered?: Promise<oidc.Configuration>;
  readonly settings: ConsoleAuthConfig;

  constructor(@Inject(CONFIG) config: KeyServiceConfig) {
    this.settings = config.consoleAuth!;
  }

  private configuration(): Promise<oidc.Configuration> {
    const issuer = new URL(this.settings.issuer);
    // Plain http only to a provider on this machine (the development provider).
    const insecure = issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname);
    this.discovered ??= oidc
      .discovery(issuer, this.settings.clientId, this.settings.clientSecret, undefined, {
        ...(insecure && { execute: [oidc.allowInsecureRequests] }),
        timeout: 5,
      })
      .catch((err: unknown) => {
        this.discovered = undefined; // the next sign-in tries again
        throw err;
      });
    return this.discovered;
  }

  /** The provider's issuer as its discovery document names it: what ID tokens carry as `iss`. */
  async issuer(): Promise<string> {
    return (await this.configuration()).serverMetadata().issuer;
  }

  /** Where to send the browser, and what the callback must check. */
  async authorizationUrl() {
    const config = await this.configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url, state, verifier, nonce };
  }

  /**
   * The callback's query (never the request's Host: the redirect URI is configured) exchanged for the ID
   * token's claims; throws when anything does not check out.
   */
  async finish(
    query: string,
    expected: { state: string; verifier: string; nonce: string },
  ): Promise<SignedIn> {
    const config = await this.configuration();
    const current = new URL(this.settings.redirectUri);
    current.search = query;
    const tokens = await oidc.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: expected.verifier,
      expectedState: expected.state,
      expectedNonce: expected.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    // Stored as the person's identity: a subject no API input could name is refused, not a 500.
    if (claims.sub.length > 255 || /\p{Cc}/u.test(claims.sub)) throw new Error('unusable subject claim');
    const rawGroups = claims[this.settings.groupsClaim];
    const groups = Array.isArray(rawGroups)
      ? rawGroups.filter((g): g is string => typeof g === 'string')
      : [];
    const name = [claims.name, claims.email, claims.preferred_username, claims.sub]
      .map((v) => (typeof v === 'string' ? displayName(v) : ''))
      .find((v) => v.length > 0);
    return {
      issuer: claims.iss,
      subject: claims.sub,
      name: name ?? 'Unnamed person',
      groups,
      idToken: tokens.id_token!,
    };
  }

  /**
   * Where the browser ends its session at the provider too (RP-initiated logout), back to
   * OIDC_POST_LOGOUT_REDIRECT_URI when set; none when the provider offers no end-session endpoint.
   */
  async endSessionUrl(idToken: string | undefined): Promise<string | null> {
    const config = await this.configuration();
    if (!config.serverMetadata().end_session_endpoint) return null;
    return oidc.buildEndSessionUrl(config, {
      ...(idToken && { id_token_hint: idToken }),
      ...(this.settings.postLogoutRedirectUri && {
        post_logout_redirect_uri: this.settings.postLogoutRedirectUri,
      }),
    }).href;
  }
}
