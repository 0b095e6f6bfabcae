// Gateway tests run the real thing: key-service, auth-service and demo upstreams as processes, the gateway
// in-process, all on the stack's Postgres, Redis and NATS. Clients use the official openai SDK.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { adminClient, connectAs, type RunningService, startService } from '@gw/testing';
import OpenAI from 'openai';
import { bootstrap } from '../src/bootstrap.js';
import type { GatewayConfig } from '../src/config.js';

export interface Upstream extends RunningService {
  control(body: Record<string, unknown>): Promise<any>;
  stats(): Promise<{ requests: number; completed: number; aborted: number; inFlight: number }>;
}

export async function startUpstream(): Promise<Upstream> {
  const svc = await startService('demo-upstream');
  return {
    ...svc,
    control: (body) =>
      fetch(`${svc.url}/__control`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json()),
    stats: () => fetch(`${svc.url}/__stats`).then((r) => r.json() as any),
  };
}

/** An upstreams file: each provider serves the demo models; `extra` overrides per provider. */
export function upstreamsFile(
  providers: { name: string; url: string; extra?: Record<string, unknown> }[],
): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-upstreams-'));
  const file = join(dir, 'upstreams.json');
  writeFileSync(
    file,
    JSON.stringify({
      providers: providers.map((p) => ({
        name: p.name,
        baseUrl: `${p.url}/v1`,
        models: [{ name: 'gpt-4o-mini', aliases: ['mini'] }, 'gpt-4o', 'text-embedding-3-small'],
        ...p.extra,
      })),
    }),
  );
  return file;
}

export async function startGateway(overrides: Partial<GatewayConfig> & { upstreamsFile: string }) {
  const spoolDir = mkdtempSync(join(tmpdir(), 'gw-spool-'));
  const started = await bootstrap({
    overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent', spoolDir, ...overrides },
  });
  return { ...started, spoolDir, close: () => started.app.close() };
}

export function client(
  baseUrl: string,
  apiKey: string,
  extra: Partial<ConstructorParameters<typeof OpenAI>[0]> = {},
) {
  return new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey, maxRetries: 0, timeout: 10_000, ...extra });
}

/** The USAGE stream's messages published since `since`, by request id. */
export async function usageSince(since: Date, natsUrl?: string): Promise<Map<string, any>> {
  const nc = await connectAs('metering', natsUrl); // the USAGE stream's owner: it may read it
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('USAGE');
    const out = new Map<string, any>();
    if (!info.state.messages) return out;
    const js = jetstream(nc);
    const consumer = await js.consumers.get('USAGE', { opt_start_time: since.toISOString() });
    // Read until the consumer has nothing pending: no waiting for a fetch to expire.
    for (let done = false; !done;) {
      const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
      done = true;
      for await (const m of batch) {
        // A message holds one event or a gateway's burst of them.
        const body = m.json<any>();
        for (const e of Array.isArray(body) ? body : [body]) out.set(e.requestId, e);
        done = m.info.pending === 0;
        if (done) break;
      }
    }
    return out;
  } finally {
    await nc.close();
  }
}

export async function waitForUsage(since: Date, ids: string[], ms = 5000, natsUrl?: string) {
  const end = Date.now() + ms;
  for (;;) {
    const got = await usageSince(since, natsUrl);
    if (ids.every((id) => got.has(id))) return got;
    if (Date.now() > end)
      throw new Error(`usage events missing: ${ids.filter((id) => !got.has(id)).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface World {
  keyService: RunningService;
  authService: RunningService;
  admin: ReturnType<typeof adminClient>;
  stop(): Promise<void>;
}

export async function startWorld(env: Record<string, string> = {}): Promise<World> {
  const [keyService, authService] = await Promise.all([
    startService('key-service', env),
    startService('auth-service', env),
  ]);
  return {
    keyService,
    authService,
    admin: adminClient(keyService.url),
    stop: async () => {
      await Promise.all([keyService.stop(), authService.stop()]);
    },
  };
}

/**
 * The usual arrangement of a surface test: the world, one demo upstream, a gateway in front of it, and a key of
 * a `pro` account; `stop` takes it all down.
 */
export async function startDemoGateway() {
  const [world, upstream] = await Promise.all([startWorld(), startUpstream()]);
  const gw = await startGateway({ upstreamsFile: upstreamsFile([{ name: 'demo', url: upstream.url }]) });
  const key = await world.admin.key(await world.admin.account('pro'));
  return {
    world,
    upstream,
    gw,
    key,
    stop: async () => {
      await gw.close();
      await Promise.all([world.stop(), upstream.stop()]);
    },
  };
}
export type DemoGateway = Awaited<ReturnType<typeof startDemoGateway>>;
