// The development identity provider's settings, validated at start. Local use only: it knows one user.
import { z } from 'zod';

const urls = z
  .string()
  .min(1)
  .refine(
    (s) =>
      s.split(',').every((u) => {
        try {
          return ['http:', 'https:'].includes(new URL(u.trim()).protocol);
        } catch {
          return false;
        }
      }),
    'http(s) URLs, comma-separated',
  );

export const CONFIG_SCHEMA = z
  .object({
    /** The provider's port. */
    PORT: z.coerce.number().int().min(0).max(65535).default(8090),
    /** Where it listens: loopback by default (it is a development tool). */
    HOST: z.string().min(1).default('127.0.0.1'),
    /** Its issuer URL as clients see it. Default: http://127.0.0.1:PORT. */
    DEV_IDP_ISSUER: z.url().optional(),
    /** The demo user's username. */
    DEMO_USER: z
      .string()
      .regex(/^[a-z0-9._-]{1,64}$/, 'lower-case letters, digits, ".", "_" or "-"')
      .default('demo'),
    /** The demo user's password (npm start generates one and prints it). */
    DEMO_PASSWORD: z.string().min(12, 'at least 12 characters'),
    /** The demo user's groups (the `groups` claim), comma-separated. */
    DEMO_GROUPS: z.string().default('demo-users'),
    /** It listens on loopback only unless this is true (it knows one user whose password is printed). */
    DEV_IDP_ALLOW_REMOTE: z.enum(['true', 'false']).default('false'),
    /** The one client it serves: the console's backend (key-service). */
    OIDC_CLIENT_ID: z.string().min(1).default('ai-gateway-console'),
    /** That client's secret. */
    OIDC_CLIENT_SECRET: z.string().min(16, 'at least 16 characters'),
    /** Where it may send the client's users back after sign-in, comma-separated. */
    OIDC_REDIRECT_URIS: urls,
    /** Where it may send them after sign-out, comma-separated (optional). */
    OIDC_POST_LOGOUT_REDIRECT_URIS: urls.optional(),
  })
  .refine((e) => e.DEV_IDP_ALLOW_REMOTE === 'true' || ['127.0.0.1', 'localhost', '::1'].includes(e.HOST), {
    message: 'a development provider listens on loopback (set DEV_IDP_ALLOW_REMOTE=true to override)',
    path: ['HOST'],
  })
  .transform((e) => ({
    port: e.PORT,
    host: e.HOST,
    issuer: e.DEV_IDP_ISSUER ?? `http://127.0.0.1:${e.PORT}`,
    user: {
      username: e.DEMO_USER,
      password: e.DEMO_PASSWORD,
      groups: e.DEMO_GROUPS.split(',')
        .map((g) => g.trim())
        .filter(Boolean),
    },
    client: {
      id: e.OIDC_CLIENT_ID,
      secret: e.OIDC_CLIENT_SECRET,
      redirectUris: e.OIDC_REDIRECT_URIS.split(',').map((u) => u.trim()),
      postLogoutRedirectUris: (e.OIDC_POST_LOGOUT_REDIRECT_URIS ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    },
  }));

export type DevIdpConfig = z.output<typeof CONFIG_SCHEMA>;

export function loadDevIdpConfig(env: NodeJS.ProcessEnv = process.env): DevIdpConfig {
  const res = CONFIG_SCHEMA.safeParse(env);
  if (res.success) return res.data;
  const lines = res.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new Error(`dev-idp: invalid configuration:\n${lines.join('\n')}`);
}
