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
const orgs: Record<'grouped' | 'manual' | 'dropped' | 'lastOwner' | 'notOptedIn', string> = {} as never;
let person: string; // the account the operator links the person to

beforeAll(async () => {
  base = await startKeyService();
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  person = await base.newAccount();
  const other = await base.newAccount();
  for (const name of ['grouped', 'manual', 'dropped', 'notOptedIn'] as const) {
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
  // Roles from groups only where the operator turned them on.
  for (const org of [orgs.grouped, orgs.manual, orgs.dropped, orgs.lastOwner]) {
    const on = await base.call('PATCH', `/v1/organizations/${org}`, base.admin, { groupRoles: true });
    expect(on.body.groupRoles).toBe(true);
  }
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
  expect(roles[orgs.notOptedIn]).toBeUndefined(); // the operator did not turn group roles on there
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

  // By hand: removing a group-made membership is refused (it would come back); changing its role makes it a
  // hand-made one, which the next sign-in leaves as it is.
  const remove = await linked.call(
    'DELETE',
    `/v1/organizations/${orgs.grouped}/members/${person}`,
    linked.admin,
  );
  expect([remove.status, remove.body.error.code]).toEqual([409, 'conflict']);
  const demoted = await linked.call('POST', `/v1/organizations/${orgs.grouped}/members`, linked.admin, {
    accountId: person,
    role: 'member',
  });
  expect(demoted.body.members).toContainEqual(
    expect.objectContaining({ accountId: person, role: 'member', source: 'manual' }),
  );
  const after = await world.signIn(linked);
  const me2: any = await (await after.b.request(`${linked.url}/v1/me`)).json();
  expect(me2.organizations.find((o: { id: string }) => o.id === orgs.grouped).role).toBe('member');
}, 30_000);

it('unlinking a person ends their sessions and their sign-ins as the account', async () => {
  const { b } = await world.signIn(linked);
  expect((await b.request(`${linked.url}/v1/me`)).status).toBe(200);
  const subject = `dev|${world.username}`;
  const bad = await linked.call('DELETE', `/v1/accounts/${person}/identities?subject=a%00b`, linked.admin);
  expect([bad.status, bad.body.error.param]).toEqual([400, 'subject']);
  const gone = await linked.call(
    'DELETE',
    `/v1/accounts/${person}/identities?subject=${encodeURIComponent(subject)}`,
    linked.admin,
  );
  expect(gone.status).toBe(200);
  expect(gone.body.unlinked).toBe(true);
  expect((await b.request(`${linked.url}/v1/me`)).status).toBe(401);
  const again = await world.signIn(linked);
  expect(again.back.status).toBe(403);
  const twice = await linked.call(
    'DELETE',
    `/v1/accounts/${person}/identities?subject=${encodeURIComponent(subject)}`,
    linked.admin,
  );
  expect(twice.body).toEqual({ unlinked: false, ended: 0 });
  const audit = await linked.call('GET', `/v1/audit-events?targetId=${person}`, linked.admin);
  expect(audit.body.data.map((e: { action: string }) => e.action)).toContain('account.identity_unlinked');
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

it("links npm start's demo person to the demo account (the stack's seed)", async () => {
  const { rows } = await db.query(
    `SELECT account_id FROM keys.sign_in_identities WHERE issuer = $1 AND subject = $2`,
    [process.env.OIDC_ISSUER, process.env.DEMO_OIDC_SUBJECT],
  );
  expect(process.env.DEMO_OIDC_SUBJECT).toBe(`dev|${process.env.DEMO_USER}`);
  expect(rows).toEqual([{ account_id: process.env.DEMO_ACCOUNT_ID }]);
});
