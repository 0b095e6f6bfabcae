import { adminUrl, createHttpApp, createLogger, listeningUrl, withOverrides } from '@gw/platform';
import { MeteringModule } from './app.module.js';
import { loadServiceConfig, type ServiceConfig } from './config.js';

export async function bootstrap({
  env = process.env,
  overrides = {},
}: { env?: NodeJS.ProcessEnv; overrides?: Partial<ServiceConfig> } = {}) {
  const config = withOverrides(loadServiceConfig(env), overrides);
  const logger = createLogger('metering-service', config.logLevel);
  const app = await createHttpApp(MeteringModule.forRoot(config, logger), {
    name: 'metering-service',
    logger,
    port: config.port,
    host: config.host,
    admin: { port: config.adminPort, host: config.adminHost },
    natsHandlers: true,
  });
  return { app, config, logger, url: listeningUrl(app), adminUrl: adminUrl(app) };
}
