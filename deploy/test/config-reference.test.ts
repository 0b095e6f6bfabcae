// docs/operations.md's configuration reference is generated from the services' config schemas
// (scripts/docs/config-reference.mjs): it fails here when a variable is added, removed, re-defaulted or
// re-described without regenerating, and when a variable has no doc comment in its schema.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './tools.js';

const reference = (await import(pathToFileURL(join(ROOT, 'scripts/docs/config-reference.mjs')).href)) as {
  renderConfigReference(): Promise<string>;
  currentConfigReference(): string;
};

it('docs/operations.md lists every variable of every service as the schemas define it', async () => {
  const fresh = await reference.renderConfigReference();
  // On a difference: node scripts/docs/config-reference.mjs --write
  expect(reference.currentConfigReference()).toBe(fresh);
});

it('names variables the services read today (the reference is not empty or stale)', async () => {
  const text = reference.currentConfigReference();
  for (const name of [
    'ADMIN_PORT',
    'SHUTDOWN_GRACE_MS',
    'USAGE_SPOOL_DIR',
    'ADMIN_TOKEN_PREVIOUS',
    'NATS_URL',
  ])
    expect(text).toContain(`\`${name}\``);
});
