// The operator's console screens in headless Chromium at 390 px: a person of the operator group signs in and
// changes an account (tier, credit limit, suspend), a tier and a model price; each change is checked through
// the REST API. Screenshots in .stack/artifacts/console/, axe-core on each screen.
import { randomUUID } from 'node:crypto';
import { freePort } from '@gw/testing';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, axeFindings, launchChromium, serious } from './browser.js';
import type { KeyService } from './harness.js';
import { type SignInWorld, startSignInWorld } from './sign-in-world.js';

let world: SignInWorld;
let ks: KeyService;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const port = await freePort();
  world = await startSignInWorld([port], 'gateway-operators');
  ks = await world.keyService(port, { operatorGroup: 'gateway-operators' });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  page = await context.newPage();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([ks?.close(), world?.idp.stop()]);
});

it('the operator changes an account, a tier and a price from the console', async () => {
  const tag = randomUUID().slice(0, 8);
  const account = await ks.call('POST', '/v1/accounts', ks.admin, { name: `Operated ${tag}`, tier: 'free' });
  const tier = `tier-${tag}`;
  const model = `console-model-${tag}`;

  await page.goto(`${ks.url}/console/`);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByLabel('Username').fill(world.username);
  await page.getByLabel('Password').fill(world.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Operator' }).click();
  await page.getByRole('heading', { name: 'Operator' }).waitFor();

  // A tier, then the account moved to it with a credit limit, suspended and reactivated.
  const tierForm = page.getByRole('form', { name: 'Add or change a tier' });
  await tierForm.getByLabel('Tier name').fill(tier);
  await tierForm.getByLabel('Requests per minute').fill('120');
  await tierForm.getByLabel('Models').fill('gpt-4o-mini, text-embedding-3-small');
  await tierForm.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('row', { name: new RegExp(tier) }).waitFor();
  expect((await ks.call('GET', `/v1/tiers/${tier}`, ks.admin)).body).toMatchObject({
    rpm: 120,
    models: ['gpt-4o-mini', 'text-embedding-3-small'],
  });

  await page.getByRole('searchbox', { name: 'Search accounts by name' }).fill(tag);
  await page.getByRole('button', { name: `Edit Operated ${tag}` }).click();
  await page.getByRole('dialog').getByLabel('Tier').selectOption(tier);
  await page.getByRole('dialog').getByLabel('Credit limit (credits)').fill('250.5');
  await page.screenshot({ path: `${ARTIFACTS}operator-account-dialog.png`, fullPage: true });
  expect(serious(await axeFindings(page))).toEqual([]);
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  await page.getByRole('row', { name: new RegExp(`Operated ${tag}.*250\\.5`) }).waitFor();
  expect((await ks.call('GET', `/v1/accounts/${account.body.id}`, ks.admin)).body).toMatchObject({
    tier,
    creditLimit: 250.5,
  });
  await page.getByRole('button', { name: `Suspend Operated ${tag}` }).click();
  await page
    .getByRole('dialog')
    .getByRole('heading', { name: `Suspend Operated ${tag}?` })
    .waitFor();
  await page
    .getByRole('dialog')
    .getByRole('button', { name: `Suspend Operated ${tag}` })
    .click();
  await page.getByRole('button', { name: `Reactivate Operated ${tag}` }).waitFor();
  expect((await ks.call('GET', `/v1/accounts/${account.body.id}`, ks.admin)).body.status).toBe('suspended');

  // A model price.
  const priceForm = page.getByRole('form', { name: 'Set price' });
  await priceForm.getByLabel('Model').fill(model);
  await priceForm.getByLabel('Input price (credits per million tokens)').fill('1.5');
  await priceForm.getByLabel('Output price (credits per million tokens)').fill('6');
  await priceForm.getByRole('button', { name: 'Set price' }).click();
  await page.getByRole('row', { name: new RegExp(model) }).waitFor();
  expect((await ks.call('GET', `/v1/pricing/models/${model}`, ks.admin)).body).toMatchObject({
    inputPrice: 1_500_000, // micro-credits per million tokens
    outputPrice: 6_000_000,
  });

  await page.screenshot({ path: `${ARTIFACTS}operator.png`, fullPage: true });
  const findings = await axeFindings(page);
  console.log(`axe on the operator screen (390 px): ${findings.length} findings`, findings);
  expect(serious(findings)).toEqual([]);

  // Suspended, the person sees why and can still sign out.
  const { account: me } = (await (await page.request.get(`${ks.url}/auth/session`)).json()) as {
    account: { id: string };
  };
  await ks.call('PATCH', `/v1/accounts/${me.id}`, ks.admin, { status: 'suspended' });
  try {
    await page.reload();
    await page.getByRole('alert').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign out' }).waitFor(); // the provider's page
    expect((await page.request.get(`${ks.url}/auth/session`)).status()).toBe(401);
  } finally {
    await ks.call('PATCH', `/v1/accounts/${me.id}`, ks.admin, { status: 'active' });
  }
}, 60_000);
