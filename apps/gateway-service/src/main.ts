import 'reflect-metadata';
import { handleSignals } from '@gw/platform';
import { bootstrap } from './bootstrap.js';

try {
  const { app, config, logger, url } = await bootstrap();
  handleSignals(app, logger, config.shutdownGraceMs);
  logger.info({ url }, 'gateway-service listening');
} catch (err) {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
}
