// The console's sign-in in a real browser (headless Debian Chromium driven by playwright-core): the
// development provider's page found by its labels, checked with axe-core, signed in with the keyboard-usable
// form, ending in an HttpOnly session. Screenshots go to .stack/artifacts/console/.
import { freePort } from '@gw/testing';
import type { Browser } from 'playwright-core';
import { ARTIFACTS, axeFindings, launchChromium, serious } from './browser.js';
import type { KeyService } from './harness.js';
import { type SignInWorld, startSignInWorld } from './sign-in-world.js';

let world: SignInWorld;
let ks: KeyService;
let browser: Browser;

beforeAll(async () => {
  const port = await freePort();
  world = await startSignInWorld([port], 'demo-users');
  ks = await world.keyService(port);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([ks?.close(), world?.idp.stop()]);
});

it('signs in through the provider’s page with its labelled fields, into an HttpOnly session; the page passes axe', async () => {
  // bypassCSP: the page's own policy (rightly) refuses the injected axe-core script.
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  await page.goto(`${ks.url}/auth/login`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.screenshot({ path: `${ARTIFACTS}sign-in.png`, fullPage: true });

  const result = await axeFindings(page);
  console.log(`axe on the sign-in page (390 px wide): ${result.length} violations`, result);
  expect(serious(result)).toEqual([]);

  // By keyboard: the fields and the button by their accessible names.
  await page.getByLabel('Username').fill(world.username);
  await page.getByLabel('Password').fill(world.password);
  await page.getByRole('button', { name: 'Sign in' }).press('Enter');
  await page.waitForURL(`${ks.url}/console/`);

  const cookies = await page.context().cookies(ks.url);
  const session = cookies.find((c) => c.name === 'gw_session');
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
  // Scripts of the page cannot read it.
  expect(await page.evaluate('document.cookie')).not.toContain('gw_session');
  const me = await page.request.get(`${ks.url}/auth/session`);
  expect(me.status()).toBe(200);
  expect(((await me.json()) as { operator: boolean }).operator).toBe(false);
}, 60_000);

it('shows a wrong password as an alert on the page, and keeps the username', async () => {
  const page = await browser.newPage();
  await page.goto(`${ks.url}/auth/login`);
  await page.getByLabel('Username').fill(world.username);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').textContent()).resolves.toMatch(/Wrong username or password/);
  expect(await page.getByLabel('Username').inputValue()).toBe(world.username);
  await page.screenshot({ path: `${ARTIFACTS}sign-in-error.png`, fullPage: true });
}, 60_000);
