// Builds and starts gateway-service; main.ts and the integration tests both call this.
import {
  adminUrl,
  createHttpApp,
  createLogger,
  listeningUrl,
  withOverrides,
  type Logger,
  PreRouter,
} from '@gw/platform';
import { GatewayModule } from './app.module.js';
import { type GatewayConfig, loadGatewayConfig } from './config.js';
import { GATEWAY_PATHS } from './http/openapi-paths.js';
import { loadCatalogue } from './upstreams/upstream-config.js';
import { warmUpTokenizer } from './proxy/usage-numbers.js';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  overrides?: Partial<GatewayConfig>;
  logger?: Logger;
}

export async function bootstrap({ env = process.env, overrides = {}, logger: given }: StartOptions = {}) {
  const config = withOverrides(loadGatewayConfig(env), overrides);
  const logger = given ?? createLogger('gateway-service', config.logLevel);
  const catalogue = loadCatalogue(config.upstreamsFile, config.demoUpstreamUrl, env);
  warmUpTokenizer();
  const preRouter = new PreRouter();
  const app = await createHttpApp(GatewayModule.forRoot(config, logger, catalogue, preRouter), {
    name: 'gateway-service',
    logger,
    port: config.port,
    host: config.host,
    admin: { port: config.adminPort, host: config.adminHost },
    // The hot routes read their own bodies, within their own bounds; the framework's routes (health, metrics,
    // docs, 404) take none, so Fastify's JSON parser never sees more than this.
    bodyLimit: 16 * 1024,
    preRouter,
    natsHandlers: true,
    swagger: {
      title: 'AI Gateway — OpenAI-compatible API',
      description: "Call with the official `openai` SDK and a `gw-sk-…` key. Errors use OpenAI's envelope.",
      bearer: 'A gw-sk-… key (calling models needs no permission)',
      extraPaths: GATEWAY_PATHS,
    },
  });
  return { app, config, logger, url: listeningUrl(app), adminUrl: adminUrl(app) };
}
