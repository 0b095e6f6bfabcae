import { env, loadConfig } from '@gw/platform';
import { z } from 'zod';

const Schema = z
  .object({ PORT: env.port(8083), HOST: env.host, LOG_LEVEL: env.logLevel })
  .transform((e) => ({ port: e.PORT, host: e.HOST, logLevel: e.LOG_LEVEL }));

export type ServiceConfig = z.output<typeof Schema>;
export const loadServiceConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig('metering-service', Schema, source);
