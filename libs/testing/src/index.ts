export * from './admin-client.js';
export * from './nats-collector.js';
export * from './processes.js';
export * from './health-suite.js';
export * from './nats-identities.js';
export * from './tcp-proxy.js';
export * from './redis-cluster.js';
export * from './key-record.js';
