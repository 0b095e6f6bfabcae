import { describeHealth } from '@gw/testing';
import { bootstrap } from '../src/bootstrap.js';

// No HTTP API (it serves NATS only), so no API docs on its admin port.
describeHealth(
  'metering-service',
  () => bootstrap({ overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' } }),
  { docs: false },
);
