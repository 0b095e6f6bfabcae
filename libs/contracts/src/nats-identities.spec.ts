import { readFileSync } from 'node:fs';
import { NATS_IDENTITIES, natsIdentity, renderNatsAuthorization } from './nats-identities.js';
import { SUBJECTS } from './subjects.js';

it('deploy/nats/auth.conf is the rendering of the identity table (run `npm run nats:config` after a change)', () => {
  const file = readFileSync(new URL('../../../deploy/nats/auth.conf', import.meta.url), 'utf8');
  expect(file).toBe(renderNatsAuthorization());
});

it('only key-service answers keys.* and publishes key changes; only gateways publish usage', () => {
  // NATS matching: `*` one token, `>` the rest; a wildcard grant (`keys.>`) covers the subject too.
  const covers = (pattern: string, subject: string) => {
    const p = pattern.split('.');
    const s = subject.split('.');
    for (let i = 0; i < p.length; i++) {
      if (p[i] === '>') return s.length > i;
      if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
    }
    return p.length === s.length;
  };
  const who = (right: 'publish' | 'subscribe', subject: string) =>
    NATS_IDENTITIES.filter((i) => i[right].some((p) => covers(p, subject))).map((i) => i.name);
  expect(who('subscribe', SUBJECTS.keys.create)).toEqual(['key-service']);
  expect(who('publish', SUBJECTS.keys.create)).toEqual(['internal']);
  expect(who('publish', SUBJECTS.events.keyChanged)).toEqual(['key-service']);
  expect(who('publish', SUBJECTS.events.keyDeleted)).toEqual(['key-service']);
  expect(who('publish', 'usage.events')).toEqual(['gateway']);
  expect(who('publish', 'usage.anything.else')).toEqual(['gateway']);
  expect(who('publish', '$JS.API.STREAM.DELETE.USAGE')).toEqual([]);
  expect(who('publish', '$JS.API.STREAM.PURGE.USAGE')).toEqual([]);
  expect(who('subscribe', 'usage.events')).toEqual([]);
  expect(who('subscribe', SUBJECTS.auth.verify)).toEqual(['auth-service']);
  // Nobody may read another identity's replies: each subscribes to its own inbox prefix only.
  for (const i of NATS_IDENTITIES) {
    expect(i.subscribe.filter((s) => s.startsWith('_INBOX'))).toEqual([`_INBOX.${i.name}.>`]);
    expect([...i.publish, ...i.subscribe].some((s) => s === '>' || s.startsWith('_INBOX.>'))).toBe(false);
  }
  expect(natsIdentity('gateway').publish.some((s) => s.startsWith('$JS.API'))).toBe(false);
});
