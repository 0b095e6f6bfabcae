export * from './wire.js';
export * from './contract-server.js';
export * from './internal-client.js';
