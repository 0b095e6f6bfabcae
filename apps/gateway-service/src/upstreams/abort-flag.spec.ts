// The gateway's abort flag with undici itself, against a local HTTP server: every state a request can be
// stopped in ends it, and no listener is left behind.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pollUntil } from '@gw/testing';
import { Pool } from 'undici';
import { AbortFlag } from './abort-flag.js';
import { UpstreamRouter } from './router.js';
import { buildCatalogue, UpstreamsFile } from './upstream-config.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler;
let server: Server;
let origin: string;
let received = 0;
const open = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((req, res) => {
    received += 1;
    open.add(res);
    res.on('close', () => open.delete(res));
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of open) res.destroy();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  received = 0;
});

/** Waits (up to 5 s) until `check` holds. */
const until = (check: () => boolean) => pollUntil(async () => check(), Boolean);

describe('AbortFlag as undici request signal', () => {
  it('a flag aborted before the request: refused, nothing reaches the server', async () => {
    handler = (_req, res) => res.end('{}');
    const pool = new Pool(origin);
    const flag = new AbortFlag();
    flag.abort();
    await expect(pool.request({ method: 'POST', path: '/', body: '{}', signal: flag })).rejects.toThrow();
    expect(received).toBe(0);
    await pool.close();
  });

  it('aborted while waiting for headers: the request fails and the server sees the connection go', async () => {
    let gone = false;
    handler = (_req, res) => res.on('close', () => (gone = true));
    const pool = new Pool(origin);
    const flag = new AbortFlag();
    const pending = pool.request({ method: 'POST', path: '/', body: '{}', signal: flag });
    await until(() => received === 1);
    flag.abort();
    await expect(pending).rejects.toThrow();
    await until(() => gone);
    expect(flag.listenerCount('abort')).toBe(0);
    await pool.destroy();
  });

  it('aborted while the body is read: reading it fails', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('{"partial":');
    };
    const pool = new Pool(origin);
    const flag = new AbortFlag();
    const response = await pool.request({ method: 'POST', path: '/', body: '{}', signal: flag });
    const read = (async () => {
      for await (const chunk of response.body) void chunk;
    })();
    flag.abort();
    await expect(read).rejects.toThrow();
    expect(flag.listenerCount('abort')).toBe(0);
    await pool.destroy();
  });

  it('a request that ends normally leaves no listener on its flag', async () => {
    handler = (_req, res) => res.end('{"ok":true}');
    const pool = new Pool(origin);
    const flag = new AbortFlag();
    const response = await pool.request({ method: 'POST', path: '/', body: '{}', signal: flag });
    expect(await response.body.json()).toEqual({ ok: true });
    // undici lets go of it when the body closes, just after its end.
    await until(() => flag.listenerCount('abort') === 0);
    flag.abort();
    await pool.close();
  });
});

describe('UpstreamRouter with a client that leaves', () => {
  const router = () =>
    new UpstreamRouter(
      buildCatalogue(
        UpstreamsFile.parse({
          providers: [{ name: 'p', baseUrl: `${origin}/v1`, models: ['m'], maxConcurrency: 1 }],
        }),
        {},
      ),
    );
  const forward = (r: UpstreamRouter, clientGone: AbortFlag) =>
    r.forward({
      route: r.resolve('m')!,
      prepare: () => ({ path: '/chat/completions', body: '{}' }),
      priority: false,
      signal: new AbortFlag(),
      clientGone,
    });

  it('sends nothing for a client that left while the slot was handed to it', async () => {
    handler = (_req, res) => res.end('{}');
    const r = router();
    const first = await forward(r, new AbortFlag());
    if (!first.ok) throw new Error('the first request should have been served');
    await first.response.body.dump();
    const gone = new AbortFlag();
    const second = forward(r, gone);
    // The slot goes to the waiting request, whose client leaves before it runs on.
    first.release();
    gone.abort();
    const result = await second;
    expect(result).toMatchObject({ ok: false, sent: false });
    expect(received).toBe(1);
    await r.onApplicationShutdown();
  });
});
