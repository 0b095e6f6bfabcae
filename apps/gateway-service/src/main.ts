import 'reflect-metadata';
import { handleSignals } from '@gw/platform';
import { bootstrap } from './bootstrap.js';

try {
  const { app, config, logger, url, adminUrl } = await bootstrap();
  handleSignals(app, logger, {
    graceMs: config.shutdownGraceMs,
    delayMs: config.shutdownDelayMs,
    // A stream cut at the grace is read on for its usage (USAGE_READ_AFTER_CLOSE_MS), then acked (≤ 5 s).
    flushMs: Math.max(15_000, config.usageReadAfterCloseMs + 10_000),
  });
  logger.info({ url, adminUrl }, 'gateway-service listening');
} catch (err) {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
}
