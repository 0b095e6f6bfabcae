import { describeHealth } from '@gw/testing';
import { bootstrap } from '../src/bootstrap.js';

describeHealth('gateway-service', () =>
  bootstrap({ overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' } }),
);
