// Shared Jest setup for every workspace: ESM (Nest 12 is ESM-only) compiled by SWC with decorator metadata.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const swc = JSON.parse(readFileSync(new URL('./.swcrc', import.meta.url), 'utf8'));
delete swc.$schema;

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // @fastify/static (Swagger UI) require()s the ESM-only content-disposition@3, which Jest cannot do on
    // Node 20; v2 is CommonJS with the same `create`. Test runtime only: the services load the real one.
    '^content-disposition$': createRequire(import.meta.url).resolve('content-disposition'),
  },
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false, sourceMaps: 'inline' }] },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
  setupFiles: [new URL('./jest.stack-env.js', import.meta.url).pathname],
  testTimeout: 20000,
};
