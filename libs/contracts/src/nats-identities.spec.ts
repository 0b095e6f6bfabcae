import { readFileSync } from 'node:fs';
import { NATS_IDENTITIES, natsIdentity, renderNatsAuthorization } from './nats-identities.js';
import { SUBJECTS } from './subjects.js';

it('deploy/nats/auth.conf is the rendering of the identity table (run `npm run nats:config` after a change)', () => {
  const file = readFileSync(new URL('../../../deploy/nats/auth.conf', import.meta.url), 'utf8');
  expect(file).toBe(renderNatsAuthorization());
});

it('only key-service answers keys.* and publishes key changes; only gateways publish usage', () => {
  const who = (right: 'publish' | 'subscribe', subject: string) =>
    NATS_IDENTITIES.filter((i) => i[right].includes(subject)).map((i) => i.name);
  expect(who('subscribe', SUBJECTS.keys.create)).toEqual(['key-service']);
  expect(who('publish', SUBJECTS.keys.create)).toEqual(['internal']);
  expect(who('publish', SUBJECTS.events.keyChanged)).toEqual(['key-service']);
  expect(who('publish', SUBJECTS.events.keyDeleted)).toEqual(['key-service']);
  expect(who('publish', 'usage.>')).toEqual(['gateway']);
  expect(who('subscribe', SUBJECTS.auth.verify)).toEqual(['auth-service']);
  // Nobody may read another identity's replies: each subscribes to its own inbox prefix only.
  for (const i of NATS_IDENTITIES) {
    expect(i.subscribe.filter((s) => s.startsWith('_INBOX'))).toEqual([`_INBOX.${i.name}.>`]);
    expect([...i.publish, ...i.subscribe].some((s) => s === '>' || s.startsWith('_INBOX.>'))).toBe(false);
  }
  expect(natsIdentity('gateway').publish.some((s) => s.startsWith('$JS.API'))).toBe(false);
});
