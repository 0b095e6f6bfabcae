import 'reflect-metadata';
import { handleSignals } from '@gw/platform';
import { bootstrap } from './bootstrap.js';

try {
  const { app, config, logger, url, adminUrl } = await bootstrap();
  handleSignals(app, logger, { graceMs: config.shutdownGraceMs, delayMs: config.shutdownDelayMs });
  logger.info({ url, adminUrl }, 'metering-service listening');
} catch (err) {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
}
