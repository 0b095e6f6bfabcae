// Who gets a console account (issue #12): with OIDC_PROVISIONING=operator-linked only people the operator
// linked to an account sign in; organization roles come from the groups claim (<prefix><org id>:<role>),
// kept in step at each sign-in, never overriding memberships made by hand.
import { randomUUID } from 'node:crypto';
import { freePort } from '@gw/testing';
import pg from 'pg';
import { type KeyService, startKeyService } from './harness.js';
import { type SignInWorld, startSignInWorld } from './sign-in-world.js';

let base: KeyService;
let world: SignInWorld;
let linked: KeyService;
let db: pg.Client;
const orgs: Record<'grouped' | 'manual' | 'dropped' | 'lastOwner', string> = {} as never;
let person: string; // the account the operator links the person to

beforeAll(async () => {
  base = await startKeyService();
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  person = await base.newAccount();
  const other = await base.newAccount();
  for (const name of Object.keys({ grouped: 1, manual: 1, dropped: 1 }) as (keyof typeof orgs)[]) {
    const org = await base.call('POST', '/v1/organizations', base.admin, {
      name: `prov-${name}-${randomUUID().slice(0, 6)}`,
      ownerAccountId: other,
    });
    orgs[name] = org.body.id;
  }
  // The person's own organization, which a groups-made owner membership alone keeps.
  const own = await base.call('POST', '/v1/organizations', base.admin, {
    name: `prov-last-${randomUUID().slice(0, 6)}`,
    ownerAccountId: person,
  });
  orgs.lastOwner = own.body.id;
  await base.call('POST', `/v1/organizations/${orgs.manual}/members`, base.admin, {
    accountId: person,
    role: 'member',
  });
  // Memberships an earlier sign-in made from groups the claim no longer has.
  await db.query(
    `INSERT INTO keys.memberships (organization_id, account_id, role, source) VALUES ($1, $2, 'admin', 'groups')`,
    [orgs.dropped, person],
  );
  await db.query(
    `UPDATE keys.memberships SET source = 'groups' WHERE organization_id = $1 AND account_id = $2`,
    [orgs.lastOwner, person],
  );
  const port = await freePort();
  world = await startSignInWorld(
    [port],
    ['team-a', `gw-org:${orgs.grouped}:admin`, `gw-org:${orgs.manual}:owner`, 'gw-org:not-an-id:owner'].join(
      ',',
    ),
  );
  linked = await world.keyService(port, {
    provisioning: 'operator-linked',
    organizationGroupPrefix: 'gw-org:',
  });
}, 60_000);
afterAll(async () => {
  await Promise.all([linked?.close(), base?.close(), world?.idp.stop(), db?.end()]);
});

it('signs in only a person the operator linked to an account, as that account', async () => {
  const before = await world.signIn(linked);
  expect(before.back.status).toBe(403);
  expect(((await before.back.json()) as any).error).toMatchObject({
    code: 'account_restricted',
    message: expect.stringMatching(/No account is linked to you/),
  });
  expect((await db.query(`SELECT 1 FROM keys.accounts WHERE name = $1`, [world.username])).rowCount).toBe(0);

  const subject = `dev|${world.username}`;
  const link = await linked.call('POST', `/v1/accounts/${person}/identities`, linked.admin, { subject });
  expect(link.status).toBe(201);
  expect(link.body).toMatchObject({ issuer: world.idp.url, subject, accountId: person, lastSignInAt: null });
  const again = await linked.call('POST', `/v1/accounts/${person}/identities`, linked.admin, {
    subject,
  });
  expect([again.status, again.body.error.code, again.body.error.param]).toEqual([409, 'conflict', 'subject']);

  const { b, back } = await world.signIn(linked);
  expect(back.status).toBe(302);
  const session: any = await (await b.request(`${linked.url}/auth/session`)).json();
  expect(session.account.id).toBe(person);
  const identities = await linked.call('GET', `/v1/accounts/${person}/identities`, linked.admin);
  expect(identities.body).toEqual([expect.objectContaining({ subject, lastSignInAt: expect.any(String) })]);
}, 30_000);

it('keeps organization roles from groups in step at sign-in, leaving hand-made memberships and last owners', async () => {
  const { b } = await world.signIn(linked);
  const me: any = await (await b.request(`${linked.url}/v1/me`)).json();
  const roles = Object.fromEntries(me.organizations.map((o: { id: string; role: string }) => [o.id, o.role]));
  expect(roles[orgs.grouped]).toBe('admin'); // from its group
  expect(roles[orgs.manual]).toBe('member'); // made by hand: the group does not override it
  expect(roles[orgs.dropped]).toBeUndefined(); // its group is gone: removed
  expect(roles[orgs.lastOwner]).toBe('owner'); // its group is gone, but it is the last owner
  const { rows } = await db.query(
    `SELECT source FROM keys.memberships WHERE organization_id = $1 AND account_id = $2`,
    [orgs.grouped, person],
  );
  expect(rows).toEqual([{ source: 'groups' }]);
  // The session acts with the role at once: an admin lists the organization's keys.
  const keys = await b.request(`${linked.url}/v1/keys?ownerType=organization&ownerId=${orgs.grouped}`);
  expect(keys.status).toBe(200);
  const audit = await linked.call('GET', `/v1/audit-events?targetId=${orgs.grouped}:${person}`, linked.admin);
  expect(audit.body.data.map((e: { action: string }) => e.action)).toContain('membership.added');
}, 30_000);

it('answers 503, not 500, when the tier for new accounts does not exist', async () => {
  const port = await freePort();
  const other = await startSignInWorld([port]);
  const broken = await other.keyService(port, { defaultTier: 'no-such-tier' });
  try {
    const { back } = await other.signIn(broken);
    expect(back.status).toBe(503);
    expect(((await back.json()) as any).error.message).toMatch(/OIDC_DEFAULT_TIER/);
  } finally {
    await Promise.all([broken.close(), other.idp.stop()]);
  }
}, 30_000);
