import { adminUrl, createHttpApp, createLogger, listeningUrl, withOverrides } from '@gw/platform';
import { AuthServiceModule } from './app.module.js';
import { type AuthConfig, loadAuthConfig } from './config.js';
import { VerifyRpc } from './verify/verify.rpc.js';

export async function bootstrap({
  env = process.env,
  overrides = {},
}: { env?: NodeJS.ProcessEnv; overrides?: Partial<AuthConfig> } = {}) {
  const config = withOverrides(loadAuthConfig(env), overrides);
  const logger = createLogger('auth-service', config.logLevel);
  const app = await createHttpApp(AuthServiceModule.forRoot(config, logger), {
    name: 'auth-service',
    logger,
    port: config.port,
    host: config.host,
    admin: { port: config.adminPort, host: config.adminHost },
    natsHandlers: { direct: (app) => app.get(VerifyRpc).handlers() },
  });
  return { app, config, logger, url: listeningUrl(app), adminUrl: adminUrl(app) };
}
