// The console as a person uses it, in headless Chromium at 390 px, against real services: key-service serving
// the console and signing in through the development provider, and the gateway, auth-service, metering and
// the demo upstream as processes. Sign in, create a key and read it once, find it masked in the list, call
// the gateway with it, disable it and see the gateway refuse it, see its usage in the chart and tables, edit,
// regenerate and delete it, switch to an organization and create its key, see its members, sign out (of the
// provider too). Each screen is screenshotted to .stack/artifacts/console/ and checked with axe-core.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type RunningService, startService } from '@gw/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS, type AxeFinding, axeFindings, launchChromium, serious } from './browser.js';
import type { KeyService } from './harness.js';
import { type SignInWorld, startSignInWorld } from './sign-in-world.js';

let world: SignInWorld;
let ks: KeyService;
let CONSOLE: string;
let KEY_SERVICE: string;
let GATEWAY: string;
const processes: RunningService[] = [];
const spool = mkdtempSync(join(tmpdir(), 'gw-console-spool-'));
let browser: Browser;
let context: BrowserContext;
let page: Page;
const axe: Record<string, AxeFinding[]> = {};

/** A screenshot of the screen as it is, and axe-core's findings on it (none serious or critical). */
async function capture(name: string) {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
  axe[name] = await axeFindings(page);
  expect([name, serious(axe[name])]).toEqual([name, []]);
}

function chat(key: string) {
  return fetch(`${GATEWAY}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello from the console test' }],
    }),
  });
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const dialog = () => page.getByRole('dialog');
const actions = (keyName: string) => page.getByRole('group', { name: `Actions for ${keyName}` });

/** Creates a key through the dialog; returns the secret the reveal dialog shows once. */
async function createKey(name: string, screenshots = false) {
  await page.getByRole('button', { name: 'Create API key' }).click();
  await dialog().getByLabel('Name').fill(name);
  await dialog().getByRole('radio', { name: 'Monthly' }).check();
  await dialog().getByLabel('Limit (credits)').fill('5');
  if (screenshots) await capture('create-dialog');
  await dialog().getByRole('button', { name: 'Create key' }).click();
  await dialog().getByRole('heading', { name: 'Your new API key' }).waitFor();
  const secret = await dialog().getByLabel('API key').inputValue();
  expect(secret).toMatch(/^gw-sk-/);
  await dialog().getByRole('button', { name: 'Copy key' }).click();
  await dialog().getByText('Copied to the clipboard.').waitFor();
  expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
  if (screenshots) await capture('reveal');
  await dialog().getByRole('button', { name: 'I have copied it' }).click();
  await dialog().waitFor({ state: 'detached' });
  return secret;
}

beforeAll(async () => {
  const port = await freePort();
  world = await startSignInWorld([port]);
  ks = await world.keyService(port);
  KEY_SERVICE = ks.url;
  CONSOLE = `${ks.url}/console/`;
  const start = async (name: string, env: Record<string, string> = {}) => {
    const svc = await startService(name, env);
    processes.push(svc);
    return svc;
  };
  const [demo] = await Promise.all([
    start('demo-upstream'),
    start('auth-service'),
    start('metering-service'),
  ]);
  GATEWAY = (await start('gateway-service', { DEMO_UPSTREAM_URL: demo.url, USAGE_SPOOL_DIR: spool })).url;
  browser = await launchChromium();
  // bypassCSP: the console's own policy (rightly) refuses the injected axe-core script.
  context = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(CONSOLE).origin });
  page = await context.newPage();
}, 60_000);
afterAll(async () => {
  console.log(
    'axe-core findings per console screen (390 px):\n' +
      Object.entries(axe)
        .map(
          ([screen, f]) =>
            `  ${screen}: ${f.length ? f.map((x) => `${x.id} (${x.impact})`).join(', ') : 'none'}`,
        )
        .join('\n'),
  );
  await browser?.close();
  await Promise.all([...processes.map((p) => p.stop()), ks?.close(), world?.idp.stop()]);
  rmSync(spool, { recursive: true, force: true });
});

it('a person signs in, manages a key end to end, uses an organization, and signs out', async () => {
  const name = `console-${randomUUID().slice(0, 8)}`;

  // Signed out: the console offers the sign-in; the provider's page takes the printed demo user.
  await page.goto(CONSOLE);
  await page.getByRole('link', { name: 'Sign in' }).waitFor();
  await capture('signed-out');
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByLabel('Username').fill(world.username);
  await page.getByLabel('Password').fill(world.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(CONSOLE);
  await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor();
  const session = (await (await page.request.get(`${KEY_SERVICE}/auth/session`)).json()) as {
    account: { id: string };
  };

  // Create: the full key once, in the reveal dialog only.
  const secret = await createKey(name, true);
  await page.getByRole('searchbox', { name: 'Search by name' }).fill(name);
  const row = page.getByRole('row', { name: new RegExp(name) });
  await expect(row.getByText(`gw-sk-****${secret.slice(-4)}`).count()).resolves.toBe(1);
  await expect(row.getByText('0.00 / 5.00').count()).resolves.toBe(1);
  expect(await page.content()).not.toContain(secret);
  expect(
    await page.evaluate('JSON.stringify([Object.keys(localStorage), Object.keys(sessionStorage)])'),
  ).toBe('[[],[]]');
  await capture('keys');

  // Use it through the gateway.
  expect((await chat(secret)).status).toBe(200);

  // Disable: the gateway refuses it within moments.
  await actions(name).getByRole('button', { name: 'Disable' }).click();
  await page.getByText(`${name} is disabled`).waitFor();
  const disabledAt = Date.now();
  const refused = await until(async () => {
    const res = await chat(secret);
    return res.status === 200 ? undefined : { status: res.status, body: (await res.json()) as any };
  }, 'the gateway to refuse the disabled key');
  console.log(`gateway refused the key disabled in the console after ${Date.now() - disabledAt} ms`);
  expect([refused.status, refused.body.error.code]).toEqual([403, 'key_disabled']);
  await page.getByLabel('Status').selectOption('disabled');
  await row.getByText('Disabled').waitFor();
  await page.getByLabel('Status').selectOption('');
  await actions(name).getByRole('button', { name: 'Enable' }).click();
  await page.getByText(`${name} is enabled`).waitFor();

  // Usage: the request in the chart and the tables, once metering has it.
  await actions(name).getByRole('link', { name: 'Usage' }).click();
  await page.getByRole('heading', { name: 'Usage' }).waitFor();
  await until(async () => {
    if ((await page.getByRole('table', { name: 'By model' }).count()) > 0) return true;
    await page.reload();
    await page.getByRole('heading', { name: 'Usage' }).waitFor();
    await page.waitForLoadState('networkidle');
    return undefined;
  }, 'the usage to show');
  const byModel = page.getByRole('table', { name: 'By model' });
  await expect(byModel.getByRole('row', { name: /gpt-4o-mini/ }).count()).resolves.toBe(1);
  await expect(page.locator('svg rect.bar[height]:not([height="0"])').count()).resolves.toBe(1);
  await page.getByLabel('Period').selectOption('d7');
  await page.getByRole('table', { name: 'By day' }).waitFor();
  await capture('usage');

  // Edit (rename, IP allow-list), regenerate with no grace, delete with confirmation.
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByRole('searchbox', { name: 'Search by name' }).fill(name);
  await actions(name).getByRole('button', { name: 'Edit' }).click();
  await dialog().getByLabel('Name').fill(`${name}-renamed`);
  await dialog().getByLabel('IP allow-list').fill('10.0.0.0/8\n192.168.1.10');
  await capture('edit-dialog');
  await dialog().getByRole('button', { name: 'Save changes' }).click();
  await page.getByText(`${name}-renamed was saved.`).waitFor();
  const renamed = page.getByRole('row', { name: new RegExp(`${name}-renamed`) });
  await renamed.getByText('10.0.0.0/8, 192.168.1.10').waitFor();
  await actions(`${name}-renamed`).getByRole('button', { name: 'Edit' }).click();
  await dialog().getByLabel('IP allow-list').fill('');
  await dialog().getByRole('button', { name: 'Save changes' }).click();
  await renamed.getByText('Any address').waitFor();

  await actions(`${name}-renamed`).getByRole('button', { name: 'Regenerate' }).click();
  await dialog().getByRole('button', { name: 'Regenerate key' }).click();
  const regenerated = await dialog().getByLabel('API key').inputValue();
  expect(regenerated).not.toBe(secret);
  await dialog().getByRole('button', { name: 'I have copied it' }).click();
  expect((await chat(regenerated)).status).toBe(200);
  await until(async () => ((await chat(secret)).status === 403 ? true : undefined), 'the old secret to stop');

  await actions(`${name}-renamed`).getByRole('button', { name: 'Delete' }).click();
  await dialog()
    .getByRole('heading', { name: `Delete ${name}-renamed?` })
    .waitFor();
  await capture('delete-dialog');
  await dialog().getByRole('button', { name: 'Delete key' }).click();
  await page.getByText(`${name}-renamed was deleted.`).waitFor();
  await page.getByText('No key matches these filters.').waitFor();
  await until(
    async () => ((await chat(regenerated)).status === 403 ? true : undefined),
    'the deleted key to stop',
  );

  // An organization this person owns (the operator made it): switch to it, create its key, see its members.
  const orgName = `Console org ${randomUUID().slice(0, 6)}`;
  const made = await fetch(`${KEY_SERVICE}/v1/organizations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ks.admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: orgName, ownerAccountId: session.account.id }),
  });
  expect(made.status).toBe(201);
  await page.reload();
  await page.getByLabel('Scope').selectOption({ label: `${orgName} (owner)` });
  await page.getByRole('heading', { name: `API keys of ${orgName}` }).waitFor();
  await page.getByText('No API keys yet. Create one to call the gateway.').waitFor();
  const orgSecret = await createKey(`${name}-org`);
  await page.getByRole('row', { name: new RegExp(`${name}-org`) }).waitFor();
  await capture('organization-keys');
  expect((await chat(orgSecret)).status).toBe(200);
  await page.getByRole('link', { name: 'Members' }).click();
  await page.getByRole('heading', { name: `Members of ${orgName}` }).waitFor();
  await expect(page.getByRole('combobox', { name: /^Role of / }).inputValue()).resolves.toBe('owner');
  await capture('members');

  // Sign out: the session is gone on the server, and the provider's too (its page asks, then sends the
  // person back to the console; signing in again asks for the password).
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign out' }).waitFor();
  await capture('provider-sign-out');
  expect((await page.request.get(`${KEY_SERVICE}/auth/session`)).status()).toBe(401);
  expect((await page.request.get(`${KEY_SERVICE}/v1/me`)).status()).toBe(401);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(CONSOLE);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByLabel('Password').waitFor();
}, 120_000);
