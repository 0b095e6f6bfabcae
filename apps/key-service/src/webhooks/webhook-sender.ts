// Sends the webhook outbox. Woken by Postgres NOTIFY when a change commits deliveries (and by a poll for
// retries that fall due), it claims due rows with a lease in one statement (FOR UPDATE SKIP LOCKED), so any
// number of replicas share the work and a crashed sender's rows are picked up once the lease ends. A claim
// takes at most one delivery per webhook (its earliest due one, and none while another of that webhook is
// leased) and a bounded number per owner, so a tenant whose receivers hang holds a few sender slots, not
// all of them, and other tenants' deliveries keep flowing. Each
// attempt is signed the Standard Webhooks way, connects only to addresses the destination policy allows
// (checked inside the connection's own DNS lookup), never follows redirects, and is recorded: delivered,
// or retried on the configured schedule until it is failed.
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { counter, histogram, type Logger } from '@gw/platform';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { Agent, type Dispatcher, request } from 'undici';
import { DataSource } from 'typeorm';
import type { KeyServiceConfig } from '../config.js';
import { CONFIG, LOGGER } from '../tokens.js';
import { DestinationPolicy } from './destination-policy.js';
import { SecretBox } from './secret-box.js';
import { DELIVERIES_CHANNEL } from './webhook-outbox.js';

/** Attempts in flight per replica at most. */
const CONCURRENCY = 16;
/** Rows claimed per statement at most. */
const BATCH = 20;
/**
 * Deliveries of one owner leased at once at most (counted in the database, so across replicas, give or take
 * claims racing). Each webhook has at most one.
 */
const OWNER_SLOTS = 4;
/** Connecting (lookup, TCP, TLS) gets this long at most, within the attempt's overall timeout. */
const CONNECT_TIMEOUT_MS = 2_000;
/** Of a failed answer's body, this much is kept in last_error. */
const BODY_SNIPPET = 200;
const USER_AGENT = 'ai-gateway-webhooks/1.0';

const attemptsTotal = counter('webhook_delivery_attempts_total', 'Webhook delivery attempts by outcome', [
  'outcome',
]);
const attemptSeconds = histogram(
  'webhook_delivery_attempt_seconds',
  'One webhook attempt, request to answer',
);
const lagSeconds = histogram(
  'webhook_delivery_lag_seconds',
  'From a delivery being queued to its successful attempt (retries included)',
  [],
  [0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 1800, 3600 * 6, 86_400],
);

interface Claimed {
  id: string;
  payload: unknown;
  attempts: number;
  createdAt: Date;
  /** The lease this sender holds: every write back is conditional on it (a fencing token). */
  leaseUntil: Date;
  webhookId: string;
  url: string;
  sealed: string;
  enabled: boolean;
}

type Outcome =
  | { ok: true; status: number; latencyMs: number }
  | { ok: false; status: number | null; latencyMs: number | null; error: string };

@Injectable()
export class WebhookSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly settings: KeyServiceConfig['webhooks'];
  private readonly agent: Agent;
  private readonly connectTimeoutMs: number;
  private readonly inflight = new Set<Promise<void>>();
  private readonly aborter = new AbortController();
  private stopping = false;
  private wanted = false;
  private pumping?: Promise<void>;
  private poller?: NodeJS.Timeout;
  private listener?: pg.Client;
  private reconnectTimer?: NodeJS.Timeout;
  private reconnectMs = 500;

  constructor(
    private readonly ds: DataSource,
    private readonly policy: DestinationPolicy,
    @Inject(SecretBox) private readonly box: SecretBox,
    @Inject(CONFIG) private readonly config: KeyServiceConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.settings = config.webhooks;
    this.connectTimeoutMs = Math.min(CONNECT_TIMEOUT_MS, this.settings.timeoutMs);
    this.agent = new Agent({
      connect: { lookup: this.policy.lookup, timeout: this.connectTimeoutMs },
      headersTimeout: this.settings.timeoutMs,
      bodyTimeout: this.settings.timeoutMs,
      keepAliveTimeout: 10_000,
      connections: 4,
    });
  }

  async onApplicationBootstrap() {
    await this.listen();
    this.poller = setInterval(() => this.wake(), this.settings.pollMs).unref();
    this.wake();
  }

  async beforeApplicationShutdown() {
    this.stopping = true;
    clearInterval(this.poller);
    clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.pumping;
    // Attempts in flight get a moment to finish; the rest are cut and their rows released to the next
    // sender at once (an attempt cut after the receiver took it is sent again: receivers dedupe on webhook-id).
    const all = Promise.allSettled([...this.inflight]);
    const grace = new Promise((r) => setTimeout(r, Math.min(this.settings.timeoutMs, 2_000)).unref());
    if ((await Promise.race([all.then(() => 'done'), grace])) !== 'done') this.aborter.abort();
    await all;
    await this.agent.close().catch(() => undefined);
  }

  // ── Wake-up sources ──────────────────────────────────────────────────────────────────────────────

  /** A dedicated connection LISTENing for committed deliveries; reconnects with backoff when it drops. */
  private async listen() {
    if (this.stopping) return;
    const client = new pg.Client({
      connectionString: this.config.databaseUrl,
      application_name: 'key-service-webhooks',
    });
    const lost = (err?: Error) => {
      if (this.listener !== client || this.stopping) return;
      this.listener = undefined;
      this.logger.warn({ err: err?.message }, 'webhook listener connection lost; reconnecting');
      void client.end().catch(() => undefined);
      this.scheduleListen();
    };
    client.on('notification', () => this.wake());
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      this.listener = client;
      await client.connect();
      await client.query(`LISTEN ${DELIVERIES_CHANNEL}`);
      this.reconnectMs = 500;
      // Anything committed while we were not listening.
      this.wake();
    } catch (err) {
      if (this.listener === client) this.listener = undefined;
      void client.end().catch(() => undefined);
      this.logger.warn(
        { err: (err as Error).message },
        'webhook listener not connected; the poll covers meanwhile',
      );
      this.scheduleListen();
    }
  }

  private scheduleListen() {
    if (this.stopping) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.listen(), this.reconnectMs).unref();
    this.reconnectMs = Math.min(this.reconnectMs * 2, 30_000);
  }

  /** Claims and starts due deliveries until none are left or the concurrency bound is reached. */
  wake() {
    if (this.stopping) return;
    this.wanted = true;
    if (this.pumping) return;
    this.pumping = this.pump()
      .catch((err: Error) =>
        this.logger.warn({ err: err.message }, 'webhook deliveries not claimed; will retry'),
      )
      .finally(() => {
        this.pumping = undefined;
        if (this.wanted) this.wake();
      });
  }

  private async pump() {
    while (this.wanted && !this.stopping) {
      this.wanted = false;
      while (!this.stopping) {
        const room = Math.min(CONCURRENCY - this.inflight.size, BATCH);
        if (room <= 0) {
          await Promise.race(this.inflight);
          continue;
        }
        const rows = await this.claim(room);
        for (const row of rows) this.track(this.attempt(row));
        if (rows.length < room) break;
      }
    }
  }

  private track(p: Promise<void>) {
    this.inflight.add(p);
    void p.finally(() => {
      this.inflight.delete(p);
      // The webhook's next delivery (held back while this one was leased) may be due now.
      this.wake();
    });
  }

  // ── The outbox rows ──────────────────────────────────────────────────────────────────────────────

  private async claim(limit: number): Promise<Claimed[]> {
    // Due rows are the pending ones whose next_attempt_at has passed; a leased row is always among them (it
    // was due when claimed, and the lease ends with the attempt), so live leases are counted from them too.
    // Per webhook only the earliest due row is a candidate, and none while one of its rows is leased; per
    // owner, candidates fill what OWNER_SLOTS leaves. The chosen rows are then locked SKIP LOCKED and
    // re-checked, so racing replicas never lease a row twice.
    // The lease outlasts one attempt (bounded by timeoutMs), so a live sender never loses its rows.
    // As a CTE so the driver answers the rows (a bare UPDATE … RETURNING answers [rows, count]).
    const rows: Claimed[] = await this.ds.query(
      `WITH due AS (
         SELECT d.id, d.webhook_id, d.next_attempt_at, d.created_at, w.owner_type, w.owner_id,
                coalesce(d.lease_until >= now(), false) AS leased
           FROM keys.webhook_deliveries d
           JOIN keys.webhooks w ON w.id = d.webhook_id
          WHERE d.status = 'pending' AND d.next_attempt_at <= now()),
       busy_owners AS (
         SELECT owner_type, owner_id, count(*) AS leased FROM due WHERE leased GROUP BY owner_type, owner_id),
       firsts AS (
         SELECT id, next_attempt_at, owner_type, owner_id,
                row_number() OVER (PARTITION BY webhook_id ORDER BY next_attempt_at, created_at, id) AS nth
           FROM due
          WHERE webhook_id NOT IN (SELECT webhook_id FROM due WHERE leased)),
       ranked AS (
         SELECT id, next_attempt_at, owner_type, owner_id,
                row_number() OVER (PARTITION BY owner_type, owner_id ORDER BY next_attempt_at, id) AS nth
           FROM firsts
          WHERE nth = 1),
       picked AS (
         SELECT r.id
           FROM ranked r
           LEFT JOIN busy_owners b ON b.owner_type = r.owner_type AND b.owner_id = r.owner_id
          WHERE r.nth + coalesce(b.leased, 0) <= $3
          ORDER BY r.next_attempt_at
          LIMIT $1),
       locked AS (
         SELECT id FROM keys.webhook_deliveries
          WHERE id IN (SELECT id FROM picked)
            AND status = 'pending' AND (lease_until IS NULL OR lease_until < now())
          FOR UPDATE SKIP LOCKED),
       claimed AS (
       UPDATE keys.webhook_deliveries d
          SET lease_until = now() + $2::int * interval '1 millisecond'
         FROM keys.webhooks w
        WHERE w.id = d.webhook_id
          AND d.id IN (SELECT id FROM locked)
        RETURNING d.id, d.payload, d.attempts, d.created_at AS "createdAt", d.lease_until AS "leaseUntil",
                  w.id AS "webhookId", w.url, w.secret_ciphertext AS "sealed", w.enabled)
       SELECT * FROM claimed`,
      [limit, this.settings.timeoutMs + 15_000, OWNER_SLOTS],
    );
    return rows;
  }

  private async attempt(row: Claimed): Promise<void> {
    try {
      if (this.stopping) return await this.release(row);
      if (!row.enabled)
        return await this.finish(row, 'failed', { error: 'webhook disabled before delivery' });
      const outcome = await this.send(row);
      if (!outcome.ok && this.aborter.signal.aborted) return await this.release(row);
      await this.record(row, outcome);
    } catch (err) {
      // Recording failed (database gone?): the lease expires and the row is attempted again.
      this.logger.error({ err: (err as Error).message, deliveryId: row.id }, 'webhook delivery not recorded');
    }
  }

  private async send(row: Claimed): Promise<Outcome> {
    const verdict = this.policy.checkUrl(row.url);
    if (!verdict.ok) return { ok: false, status: null, latencyMs: null, error: verdict.reason };
    let signer: Webhook;
    try {
      signer = new Webhook(this.box.open(row.sealed, row.webhookId));
    } catch {
      return {
        ok: false,
        status: null,
        latencyMs: null,
        error: 'signing secret unreadable (was WEBHOOK_ENCRYPTION_KEY changed?)',
      };
    }
    const body = JSON.stringify(row.payload);
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': row.id,
      'webhook-timestamp': String(at.getTime() / 1000),
      'webhook-signature': signer.sign(row.id, at, body),
    };
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const res = await request(row.url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.agent,
        signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.settings.timeoutMs)]),
      });
      const latencyMs = elapsed();
      attemptSeconds.observe(latencyMs / 1000);
      if (res.statusCode >= 200 && res.statusCode < 300) {
        await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
        return { ok: true, status: res.statusCode, latencyMs };
      }
      const snippet = await readSnippet(res.body);
      const redirect = res.statusCode >= 300 && res.statusCode < 400 ? ' (redirects are not followed)' : '';
      return {
        ok: false,
        status: res.statusCode,
        latencyMs,
        error: `HTTP ${res.statusCode}${redirect}${snippet ? `: ${snippet}` : ''}`,
      };
    } catch (err) {
      return {
        ok: false,
        status: null,
        latencyMs: elapsed(),
        error: describe(err, this.settings.timeoutMs, this.connectTimeoutMs),
      };
    }
  }

  private async record(row: Claimed, outcome: Outcome) {
    const host = safeHost(row.url);
    const log = { deliveryId: row.id, webhookId: row.webhookId, host };
    if (outcome.ok) {
      attemptsTotal.inc({ outcome: 'delivered' });
      lagSeconds.observe((Date.now() - row.createdAt.getTime()) / 1000);
      await this.finish(row, 'delivered', { status: outcome.status, latencyMs: outcome.latencyMs });
      this.logger.debug(
        { ...log, attempts: row.attempts + 1, latencyMs: outcome.latencyMs },
        'webhook delivered',
      );
      return;
    }
    const attempts = row.attempts + 1;
    const schedule = this.settings.retryScheduleMs;
    const final = attempts > schedule.length;
    attemptsTotal.inc({ outcome: final ? 'failed' : 'retry' });
    const detail = { status: outcome.status, latencyMs: outcome.latencyMs, error: outcome.error };
    if (final) {
      await this.finish(row, 'failed', detail);
      this.logger.warn({ ...log, attempts, error: outcome.error }, 'webhook delivery failed for good');
    } else {
      await this.finish(row, 'pending', { ...detail, retryInMs: schedule[attempts - 1] });
      this.logger.info({ ...log, attempts, error: outcome.error }, 'webhook attempt failed; will retry');
    }
  }

  /** Writes an attempt's result, if this sender still holds the row's lease. */
  private async finish(
    row: Claimed,
    status: 'delivered' | 'pending' | 'failed',
    d: { status?: number | null; latencyMs?: number | null; error?: string; retryInMs?: number },
  ) {
    const counted = row.enabled ? 1 : 0;
    await this.ds.query(
      `UPDATE keys.webhook_deliveries
          SET status = $3, attempts = attempts + $4, last_status = $5, last_error = $6, last_latency_ms = $7,
              delivered_at = CASE WHEN $3 = 'delivered' THEN now() END,
              next_attempt_at = CASE WHEN $8::int IS NULL THEN next_attempt_at
                                     ELSE now() + $8::int * interval '1 millisecond' END,
              lease_until = NULL
        WHERE id = $1 AND lease_until = $2 AND status = 'pending'`,
      [
        row.id,
        row.leaseUntil,
        status,
        counted,
        d.status ?? null,
        d.error ? d.error.slice(0, 500) : null,
        d.latencyMs ?? null,
        d.retryInMs ?? null,
      ],
    );
  }

  /** Gives a claimed row back without an attempt (shutting down). */
  private async release(row: Claimed) {
    await this.ds.query(
      `UPDATE keys.webhook_deliveries SET lease_until = NULL WHERE id = $1 AND lease_until = $2`,
      [row.id, row.leaseUntil],
    );
  }
}

/** At most BODY_SNIPPET characters of an answer, on one line; the rest is not read. */
async function readSnippet(body: Dispatcher.ResponseData['body']): Promise<string> {
  let text = '';
  try {
    for await (const chunk of body) {
      text += (chunk as Buffer).toString('utf8');
      if (text.length >= BODY_SNIPPET) break;
    }
  } catch {
    // A broken body still leaves the status to report.
  } finally {
    body.destroy();
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, BODY_SNIPPET);
}

/** What a tenant reads for these network failures (Node's own messages name the addresses connected to). */
const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host does not resolve',
  EAI_AGAIN: 'host does not resolve (temporary failure)',
  UND_ERR_SOCKET: 'connection closed',
};
const IP_LIKE = /\[?(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:.]*:[0-9a-f:.]*)\]?(?::\d+)?/gi;

/**
 * A network failure in a few words: never the URL's path or query (which may carry a token), nor the
 * addresses its host resolved to (which would map the internal DNS to a tenant).
 */
function describe(err: unknown, timeoutMs: number, connectTimeoutMs: number): string {
  const parts: string[] = [];
  let e = err as (Error & { code?: string; cause?: unknown }) | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (e.code === 'UND_ERR_CONNECT_TIMEOUT') return `connect timed out after ${connectTimeoutMs} ms`;
    if (
      e.name === 'TimeoutError' ||
      e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
      e.code === 'UND_ERR_BODY_TIMEOUT'
    )
      return `timed out after ${timeoutMs} ms`;
    if (e.code === 'EDESTINATIONREFUSED') return e.message;
    const known = e.code ? NETWORK_ERRORS[e.code] : undefined;
    if (known) return known;
    if (e.message && !parts.includes(e.message)) parts.push(e.message);
    e = e.cause as typeof e;
  }
  return (parts.join(': ') || 'request failed').replace(IP_LIKE, '[address]').slice(0, 300);
}

function safeHost(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
