// Builds and starts key-service; main.ts and the integration tests both call this.
import fastifyCookie from '@fastify/cookie';
import {
  adminUrl,
  createHttpApp,
  createLogger,
  listeningUrl,
  withOverrides,
  type Logger,
} from '@gw/platform';
import { KeyServiceModule } from './app.module.js';
import { serveConsole } from './console-files.js';
import { KeyLookupRpc } from './keys/key-lookup.rpc.js';
import { type KeyServiceConfig, loadKeyServiceConfig } from './config.js';
import type { Clock } from './tokens.js';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  overrides?: Partial<KeyServiceConfig>;
  clock?: Clock;
  /** Tests pass their own logger to read what the service logs. */
  logger?: Logger;
}

export async function bootstrap({
  env = process.env,
  overrides = {},
  clock,
  logger: given,
}: StartOptions = {}) {
  const config = withOverrides(loadKeyServiceConfig(env), overrides);
  const logger = given ?? createLogger('key-service', config.logLevel);
  const app = await createHttpApp(KeyServiceModule.forRoot({ config, logger, clock }), {
    name: 'key-service',
    logger,
    port: config.port,
    host: config.host,
    admin: { port: config.adminPort, host: config.adminHost },
    logRequests: true,
    // The console's session and sign-in cookies (read by CallerGuard and the /auth routes), and its files.
    configure: async (app) => {
      await app.register(fastifyCookie);
      // The console only where people can sign in to it (its files alone would lead to a 404 at /auth/login).
      if (config.consoleDir && config.consoleAuth) await serveConsole(app, config.consoleDir);
    },
    natsHandlers: { direct: (app) => app.get(KeyLookupRpc).handlers() },
    trustedProxies: config.trustedProxies,
    swagger: {
      title: 'AI Gateway — key management',
      description:
        'Keys, accounts, organizations, pricing and tiers. Authenticate with `Bearer $ADMIN_TOKEN` (operator) ' +
        "or a `gw-sk-…` key with `write`/`admin` permission. Errors use OpenAI's envelope.",
      bearer: 'The operator token or a gw-sk-… key',
    },
  });
  if (config.adminTokenPrevious)
    logger.warn(
      'ADMIN_TOKEN_PREVIOUS is set: the previous operator token is still accepted; unset it once rotated',
    );
  return { app, config, logger, url: listeningUrl(app), adminUrl: adminUrl(app) };
}
