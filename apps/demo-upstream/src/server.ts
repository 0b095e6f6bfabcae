// An OpenAI-compatible provider stand-in: chat (JSON and SSE), completions, embeddings, models.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { countInputTokens } from '@gw/tokenizer';
import { chatAnswer, textAnswer } from './answers.js';
import { type Behaviour, DEFAULT_BEHAVIOUR, parseBehaviour, RESET_STATS, type Stats } from './behaviour.js';
import { chatMessage, finishReason } from './chat-shapes.js';
import { embedding } from './replies.js';
import { splitPoint, sseEvent } from './sse.js';
import { streamEvents } from './stream-events.js';

const MAX_BODY = 4 * 1024 * 1024;
const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- request bodies are arbitrary JSON here
type Json = Record<string, any>;

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function error(
  res: ServerResponse,
  status: number,
  message: string,
  code: string,
  param: string | null = null,
) {
  send(res, status, {
    error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', code, param },
  });
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

export interface DemoUpstreamOptions {
  models?: string[];
  behaviour?: Partial<Behaviour>;
}

export function createDemoUpstream(opts: DemoUpstreamOptions = {}) {
  const models = opts.models ?? ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'];
  let behaviour: Behaviour = { ...DEFAULT_BEHAVIOUR, ...opts.behaviour };
  const stats: Stats = { ...RESET_STATS, inFlight: 0 };

  /** Applies the failure switches; true when the request was answered (or dropped) by them. */
  function misbehave(req: IncomingMessage, res: ServerResponse): boolean {
    if (behaviour.dropConnection) {
      req.socket.destroy();
      return true;
    }
    if (behaviour.failStatus && behaviour.failCount !== 0) {
      if (behaviour.failCount > 0) behaviour.failCount -= 1;
      const message = behaviour.failMessage || 'The demo upstream was told to fail.';
      error(res, behaviour.failStatus, message, 'demo_failure');
      return true;
    }
    return false;
  }

  function chat(body: Json, res: ServerResponse, kind: 'chat' | 'text') {
    const b = behaviour;
    const answer = kind === 'chat' ? chatAnswer(body, b) : textAnswer(body, b);
    if ('param' in answer) return error(res, 400, answer.message, answer.code, answer.param);
    const { choices, usage } = answer;
    const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const model = String(body.model);
    const object = kind === 'chat' ? 'chat.completion' : 'text_completion';

    if (!body.stream) {
      send(res, 200, {
        id,
        object,
        created,
        model,
        choices: choices.map((c) =>
          kind === 'chat'
            ? { index: c.index, message: chatMessage(c), logprobs: null, finish_reason: finishReason(c) }
            : { index: c.index, text: c.text, logprobs: null, finish_reason: 'stop' },
        ),
        ...(b.omitUsage ? {} : { usage }),
      });
      stats.completed += 1;
      return;
    }

    const withUsage = body.stream_options?.include_usage === true && !b.omitUsage;
    const chunkObject = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    const frame = (choices: unknown[], extra: Json = {}) => ({
      id,
      object: chunkObject,
      created,
      model,
      choices,
      ...(withUsage ? { usage: null } : {}),
      ...extra,
    });
    const events = streamEvents(kind, choices, frame, withUsage ? usage : undefined);

    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    let closed = false;
    const gone = new Promise<void>((resolve) => res.once('close', () => resolve()));
    res.on('close', () => {
      if (!res.writableFinished) {
        closed = true;
        stats.aborted += 1;
      }
    });
    void (async () => {
      for (let i = 0; i < events.length; i++) {
        if (i === b.stallAfterChunks) {
          if (i === 0) res.flushHeaders();
          await gone;
          return;
        }
        if (events[i].delayed) await sleep(behaviour.chunkDelayMs);
        if (closed) return;
        const wire = sseEvent(events[i].data, i + 1, b);
        const last = i === events.length - 1;
        if (b.splitUtf8) {
          const bytes = Buffer.from(wire);
          const at = splitPoint(bytes);
          res.write(bytes.subarray(0, at));
          await sleep(2);
          if (closed) return;
          if (last) res.end(bytes.subarray(at));
          else res.write(bytes.subarray(at));
        } else if (last) res.end(wire);
        // Backpressure, as a real provider has: a client that stops reading stops the stream.
        else if (!res.write(wire)) await Promise.race([once(res, 'drain'), gone]);
      }
      stats.completed += 1;
    })();
  }

  function embeddings(body: Json, res: ServerResponse) {
    const inputs: unknown[] =
      Array.isArray(body.input) && !body.input.every((x: unknown) => typeof x === 'number')
        ? body.input
        : [body.input];
    const dims =
      typeof body.dimensions === 'number' && body.dimensions > 0 && body.dimensions <= 256
        ? body.dimensions
        : 8;
    const tokens = countInputTokens(body.input);
    send(res, 200, {
      object: 'list',
      // The openai SDK asks for base64 (little-endian float32) by default and decodes it.
      data: inputs.map((input, index) => {
        const vector = embedding(JSON.stringify(input), dims);
        const encoded =
          body.encoding_format === 'base64'
            ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
            : vector;
        return { object: 'embedding', index, embedding: encoded };
      }),
      model: String(body.model),
      ...(behaviour.omitUsage ? {} : { usage: { prompt_tokens: tokens, total_tokens: tokens } }),
    });
    stats.completed += 1;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return send(res, 200, { status: 'ok' });
    if (path === '/__stats') return send(res, 200, stats);
    if (path === '/__control' && req.method === 'POST') {
      const raw = await readBody(req);
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw?.toString() || '{}');
      } catch {
        return error(res, 400, 'invalid JSON', 'invalid_request');
      }
      if (!parsed || typeof parsed !== 'object')
        return error(res, 400, 'body must be an object', 'invalid_request');
      const { reset, resetStats, ...switches } = parsed as Json;
      const next = parseBehaviour(switches, reset ? DEFAULT_BEHAVIOUR : behaviour);
      if (typeof next === 'string') return error(res, 400, next, 'invalid_request');
      behaviour = next;
      if (resetStats) Object.assign(stats, RESET_STATS);
      return send(res, 200, behaviour);
    }
    if (path === '/v1/models' && req.method === 'GET') {
      return send(res, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'demo' })),
      });
    }
    const route =
      req.method === 'POST' &&
      { '/v1/chat/completions': 'chat', '/v1/completions': 'text', '/v1/embeddings': 'embeddings' }[path];
    if (!route) return error(res, 404, `No route ${req.method} ${path}`, 'not_found');

    stats.requests += 1;
    const raw = await readBody(req);
    let body: Json;
    try {
      body = JSON.parse(raw?.toString() ?? '');
    } catch {
      return error(res, 400, 'Body is not valid JSON.', 'invalid_request');
    }
    if (!body || typeof body !== 'object' || typeof body.model !== 'string')
      return error(res, 400, 'model is required', 'invalid_request');
    Object.assign(stats, {
      lastMaxTokens: body.max_tokens ?? null,
      lastMaxCompletionTokens: body.max_completion_tokens ?? null,
      lastN: body.n ?? null,
    });
    if (!models.includes(body.model))
      return error(res, 404, `The model ${body.model} does not exist`, 'model_not_found');
    await sleep(behaviour.latencyMs);
    // The client gave up during the delay (a gateway timeout): nothing to answer, nothing completed.
    if (req.socket.destroyed) return;
    if (misbehave(req, res)) return;
    if (route === 'embeddings') return embeddings(body, res);
    chat(body, res, route === 'chat' ? 'chat' : 'text');
  }

  const server: Server = createServer((req, res) => {
    stats.inFlight += 1;
    res.on('close', () => (stats.inFlight -= 1));
    handle(req, res).catch(() => {
      if (!res.headersSent) error(res, 500, 'demo upstream failed', 'internal_error');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
    stats,
    get behaviour() {
      return behaviour;
    },
    listen(port: number, host = '127.0.0.1'): Promise<string> {
      return new Promise((resolve) =>
        server.listen(port, host, () => {
          const addr = server.address();
          resolve(`http://${host}:${typeof addr === 'object' && addr ? addr.port : port}`);
        }),
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
