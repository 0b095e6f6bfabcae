export * from './admin-client.js';
export * from './nats-collector.js';
export * from './processes.js';
export * from './health-suite.js';
