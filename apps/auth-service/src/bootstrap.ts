import { createHttpApp, createLogger } from '@gw/platform';
import { AppModule } from './app.module.js';
import { loadServiceConfig, type ServiceConfig } from './config.js';

export async function bootstrap({
  env = process.env,
  overrides = {},
}: { env?: NodeJS.ProcessEnv; overrides?: Partial<ServiceConfig> } = {}) {
  const config = { ...loadServiceConfig(env), ...overrides };
  const logger = createLogger('auth-service', config.logLevel);
  const app = await createHttpApp(AppModule, {
    name: 'auth-service',
    logger,
    port: config.port,
    host: config.host,
  });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return { app, config, logger, url: `http://127.0.0.1:${port}` };
}
