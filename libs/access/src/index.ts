export * from './check-access.js';
export * from './principal.js';
