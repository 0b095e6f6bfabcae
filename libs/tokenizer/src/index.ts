export * from './count.js';
export * from './counter.js';
