export * from './base62.js';
export * from './key-format.js';
