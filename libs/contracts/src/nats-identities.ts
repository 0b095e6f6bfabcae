// Who may do what on NATS: one identity per service plus `internal` for other internal callers. This is the
// single source of the server's permissions; deploy/nats/nats-server.conf is rendered from it (a test keeps
// the file and this table equal). Anything not listed is refused by the server.
import { SUBJECTS, USAGE_DEADLETTER_STREAM, USAGE_STREAM } from './subjects.js';

export type NatsIdentityName = 'key-service' | 'auth-service' | 'gateway' | 'metering' | 'internal';

export interface NatsIdentity {
  name: NatsIdentityName;
  /** NAME in NATS_<NAME>_USER / NATS_<NAME>_PASSWORD (the server's and the stack's environment). */
  envName: string;
  description: string;
  publish: readonly string[];
  subscribe: readonly string[];
  /** `subject queue` pairs it may not join although `subscribe` allows the subject. */
  denySubscribe?: readonly string[];
  /** May answer requests it received (a temporary right to publish once to each request's reply subject). */
  allowResponses: boolean;
}

/**
 * Each identity's replies arrive under its own inbox prefix, so no one can subscribe to another identity's
 * replies (`_INBOX.>` would collect every plaintext key keys.create returns).
 */
export const natsInboxPrefix = (name: string) => `_INBOX.${name}`;
const inbox = (name: NatsIdentityName) => `${natsInboxPrefix(name)}.>`;

const K = SUBJECTS.keys;
const E = SUBJECTS.events;
const M = SUBJECTS.metering;
const jsApi = (...parts: string[]) => `$JS.API.${parts.join('.')}`;

/** The JetStream rights of a stream's owner: manage the stream, read it with its own consumers, ack. */
const streamOwner = (stream: string) => [
  jsApi('STREAM', 'INFO', stream),
  jsApi('STREAM', 'CREATE', stream),
  jsApi('STREAM', 'UPDATE', stream),
  // Consumers: the pre-2.10 and 2.10+ create subjects, info, next batch, delete (tests' ephemeral readers).
  jsApi('CONSUMER', 'CREATE', stream),
  jsApi('CONSUMER', 'CREATE', stream, '>'),
  jsApi('CONSUMER', 'DURABLE', 'CREATE', stream, '>'),
  jsApi('CONSUMER', 'INFO', stream, '>'),
  jsApi('CONSUMER', 'MSG', 'NEXT', stream, '>'),
  jsApi('CONSUMER', 'DELETE', stream, '>'),
  `$JS.ACK.${stream}.>`,
];

/**
 * key-service consumes quota exhaustion in its queue group; anyone else allowed `keys.events.>` could join
 * that group and take most of the events (keys never marked, no webhooks). They may subscribe, not join.
 */
const NO_KEY_SERVICE_QUEUE = [`${E.quotaExhausted} key-service`];

/** RPCs an internal caller may make: key management (acting as the actor it names) and usage reads. */
const MANAGEMENT_RPCS = [K.create, K.get, K.list, K.update, K.regenerate, K.delete, K.usage] as const;

export const NATS_IDENTITIES: readonly NatsIdentity[] = [
  {
    name: 'key-service',
    envName: 'KEY_SERVICE',
    description: 'answers keys.* and pricing.list; the only publisher of key and pricing changes',
    publish: [E.keyChanged, E.keyDeleted, E.pricingChanged, M.spend, M.usageQuery],
    subscribe: [
      ...MANAGEMENT_RPCS,
      K.lookup,
      K.touch,
      SUBJECTS.pricing.list,
      E.quotaExhausted,
      E.quotaThreshold,
      inbox('key-service'),
    ],
    allowResponses: true,
  },
  {
    name: 'auth-service',
    envName: 'AUTH',
    description: 'answers auth.verify; looks keys up by hash; evicts its cache on key events',
    publish: [K.lookup],
    subscribe: [SUBJECTS.auth.verify, E.allKeyEvents, inbox('auth-service')],
    denySubscribe: NO_KEY_SERVICE_QUEUE,
    allowResponses: true,
  },
  {
    name: 'gateway',
    envName: 'GATEWAY',
    description:
      'verifies keys, publishes usage (the only publisher of usage.>), last-used times and exhaustion',
    publish: [
      SUBJECTS.auth.verify,
      SUBJECTS.pricing.list,
      M.spend,
      K.touch,
      E.quotaExhausted,
      ...USAGE_STREAM.subjects,
    ],
    subscribe: [E.allKeyEvents, E.pricingChanged, inbox('gateway')],
    denySubscribe: NO_KEY_SERVICE_QUEUE,
    allowResponses: false,
  },
  {
    name: 'metering',
    envName: 'METERING',
    description: 'owns the USAGE and USAGE_DEADLETTER streams; answers usage and spend queries',
    publish: [
      E.quotaExhausted,
      E.quotaThreshold,
      SUBJECTS.pricing.list,
      M.deadLetter,
      jsApi('INFO'),
      ...streamOwner(USAGE_STREAM.name),
      ...streamOwner(USAGE_DEADLETTER_STREAM.name),
    ],
    subscribe: [M.usageQuery, M.spend, E.pricingChanged, inbox('metering')],
    allowResponses: true,
  },
  {
    name: 'internal',
    envName: 'INTERNAL',
    description: 'other internal services: key management over NATS, usage reads, key events (read only)',
    publish: [...MANAGEMENT_RPCS, M.usageQuery],
    subscribe: [E.allKeyEvents, inbox('internal')],
    denySubscribe: NO_KEY_SERVICE_QUEUE,
    allowResponses: false,
  },
];

export const natsIdentity = (name: NatsIdentityName): NatsIdentity =>
  NATS_IDENTITIES.find((i) => i.name === name)!;

const quoted = (subjects: readonly string[]) => subjects.map((s) => JSON.stringify(s)).join(', ');

/**
 * Each identity's rotation slot: a second user with the same rights and its own password
 * (NATS_<NAME>_NEXT_PASSWORD). nats-server takes one password per user, so a password rotates by moving the
 * service to the other slot (docs/operations.md, "Rotating secrets"): at every moment one of the two works.
 */
export const natsRotationUser = (name: NatsIdentityName) => `${name}-next`;

/**
 * nats-server 2.9 configuration of the identities: passwords come from the server's environment
 * (NATS_<NAME>_PASSWORD, and NATS_<NAME>_NEXT_PASSWORD for the rotation slot), no anonymous access (no
 * `no_auth_user`). Ports, JetStream storage and TLS are the deployment's: give them as flags or in a file that
 * includes this one.
 */
export function renderNatsAuthorization(): string {
  const users = NATS_IDENTITIES.flatMap((i) => {
    const permissions = [
      `      permissions: {`,
      `        publish: { allow: [${quoted(i.publish)}] }`,
      `        subscribe: { allow: [${quoted(i.subscribe)}]${i.denySubscribe ? `, deny: [${quoted(i.denySubscribe)}]` : ''} }`,
      ...(i.allowResponses ? [`        allow_responses: true`] : []),
      `      }`,
    ];
    const user = (comment: string, name: string, envName: string) =>
      [
        `    # ${comment}`,
        `    {`,
        `      user: ${JSON.stringify(name)}`,
        `      password: $NATS_${envName}_PASSWORD`,
        ...permissions,
        `    }`,
      ].join('\n');
    return [
      user(`${i.name}: ${i.description}`, i.name, i.envName),
      user(
        `${natsRotationUser(i.name)}: ${i.name}'s rotation slot (same rights)`,
        natsRotationUser(i.name),
        `${i.envName}_NEXT`,
      ),
    ];
  });
  return [
    '# GENERATED from libs/contracts/src/nats-identities.ts by `npm run nats:config`: edit that table, not this file.',
    'authorization {',
    '  users = [',
    users.join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}
