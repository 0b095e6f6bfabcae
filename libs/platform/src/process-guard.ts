// Last line of defence: an error that escaped every boundary is logged and counted, never the end of the
// process (which would cut every open stream of every other client).
import type { Logger } from 'pino';
import { counter } from './metrics.js';

const escaped = counter('process_escaped_errors_total', 'Errors that reached the process level', ['kind']);
let installed = false;

export function guardProcess(logger: Logger) {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (err) => {
    escaped.inc({ kind: 'unhandled_rejection' });
    logger.error({ err }, 'unhandled rejection');
  });
  process.on('uncaughtException', (err) => {
    escaped.inc({ kind: 'uncaught_exception' });
    logger.error({ err }, 'uncaught exception');
  });
}
