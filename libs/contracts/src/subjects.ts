// NATS subjects and JetStream names. DO NOT RENAME: other deployments and replicas depend on them.
// Each subject has exactly one payload type, declared in rpc.ts (request/reply) or events.ts (fan-out).
export const SUBJECTS = {
  keys: {
    create: 'keys.create',
    get: 'keys.get',
    list: 'keys.list',
    update: 'keys.update',
    regenerate: 'keys.regenerate',
    delete: 'keys.delete',
    /** A key's or an owner's usage for an acting principal (the REST usage views, same rules). */
    usage: 'keys.usage',
    /** By SHA-256 of the key, for auth-service. */
    lookup: 'keys.lookup',
    /** Fire-and-forget batches of last-used times, from gateways; one key-service replica applies each. */
    touch: 'keys.touch',
  },
  auth: { verify: 'auth.verify' },
  /** Every model price and pricing group, for the caches of gateways and metering. */
  pricing: { list: 'pricing.list' },
  metering: {
    usageQuery: 'metering.usage.query',
    /** Spent micro-credits of an owner and some of its keys in given periods (for key views). */
    spend: 'metering.spend',
    /** Usage messages that can never succeed, with the reason in the `Metering-Error` header (stored). */
    deadLetter: 'metering.deadletter',
  },
  events: {
    keyChanged: 'keys.events.changed',
    keyDeleted: 'keys.events.deleted',
    quotaExhausted: 'keys.events.quota_exhausted',
    pricingChanged: 'pricing.events.changed',
    /**
     * Metering: a key's quota or an owner's credit limit passed 80 % (key-service turns it into webhooks).
     * Outside keys.events.> on purpose: the caches have nothing to evict for it.
     */
    quotaThreshold: 'metering.events.quota_threshold',
    /** Wildcard that caches subscribe to. */
    allKeyEvents: 'keys.events.>',
  },
} as const;

export const QUEUE_GROUPS = {
  keyService: 'key-service',
  authService: 'auth-service',
  meteringService: 'metering-service',
} as const;

export const USAGE_STREAM = { name: 'USAGE', subjects: ['usage.>'] } as const;

/** Usage messages that can never be processed, kept with the reason (header `Metering-Error`). */
export const USAGE_DEADLETTER_STREAM = {
  name: 'USAGE_DEADLETTER',
  subjects: [SUBJECTS.metering.deadLetter],
} as const;
