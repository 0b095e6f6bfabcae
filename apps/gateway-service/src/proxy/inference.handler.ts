// The hot path of DESIGN, steps 1–7, for chat, completions, embeddings and generate, on Node's own
// request and response objects (see http/hot-routes.ts).
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import {
  apiError,
  type ApiError,
  costMicros,
  type ErrorCode,
  errorStatus,
  toEnvelope,
  type UsageEndpoint,
  type UsageEvent,
} from '@gw/contracts';
import { creditLimits, modelAllowed, type Principal, quotaExhausted } from '@gw/access';
import { counter, histogram, type Logger, PriceBook } from '@gw/platform';
import { countTextTokens } from '@gw/tokenizer';
import type { Dispatcher } from 'undici';
import { Authenticator } from '../auth/authenticator.js';
import { LOGGER } from '../config.js';
import { type HotRequest, sendJson } from '../http/hot-request.js';
import { ExhaustionNotice } from '../limits/exhaustion-notice.js';
import { Limiter, type Reservation } from '../limits/limiter.js';
import { UpstreamRouter } from '../upstreams/router.js';
import type { ModelRoute } from '../upstreams/upstream-config.js';
import { LastUsedBatcher } from '../usage/last-used.js';
import { UsagePublisher } from '../usage/usage-publisher.js';
import { type InferenceBody, readInferenceBody } from './inference-body.js';
import { SseRelay } from './sse-relay.js';
import { completionTokensOf, promptTokens, saneUsage, type Tokens } from './usage-numbers.js';

const requests = counter('gateway_requests_total', 'Inference requests by endpoint and status', [
  'endpoint',
  'status',
]);
const overhead = histogram(
  'gateway_overhead_seconds',
  'Time from request arrival to forwarding upstream',
  ['endpoint'],
  [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
);

const UPSTREAM_PATH: Record<UsageEndpoint, string> = {
  'chat.completions': '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
  generate: '/chat/completions',
};

/** An upstream 4xx in the catalogue's terms; anything else is the client's invalid request. */
const UPSTREAM_4XX: Record<number, ErrorCode> = {
  401: 'upstream_error',
  403: 'upstream_error',
  404: 'model_not_found',
  408: 'upstream_timeout',
  413: 'request_too_large',
};

interface Call {
  endpoint: UsageEndpoint;
  /** Echoed to the client. */
  requestId: string;
  /** Recorded in usage and reservations (see HotRequest.usageId). */
  usageId: string;
  at: number;
  started: number;
  principal?: Principal;
  body?: InferenceBody;
  route?: ModelRoute;
  /** Set once the request is handed to the router: from then on it is recorded, whatever happens. */
  forwarded?: boolean;
  /** The credit reserved for this request; settled at its real cost when it is published. */
  reservation?: Reservation;
  headers: Record<string, string>;
}

@Injectable()
export class InferenceHandler {
  constructor(
    private readonly auth: Authenticator,
    private readonly limiter: Limiter,
    private readonly prices: PriceBook,
    private readonly exhaustion: ExhaustionNotice,
    private readonly router: UpstreamRouter,
    private readonly usage: UsagePublisher,
    private readonly lastUsed: LastUsedBatcher,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(
    endpoint: UsageEndpoint,
    req: HotRequest,
    reply: ServerResponse,
    body: unknown,
  ): Promise<void> {
    const call: Call = {
      endpoint,
      requestId: req.id,
      usageId: req.usageId,
      at: Date.now(),
      started: performance.now(),
      headers: {},
    };
    try {
      await this.run(call, req, reply, body);
    } catch (err) {
      this.logger.error({ err, reqId: req.id }, 'inference request failed');
      if (!reply.headersSent) {
        this.fail(call, reply, apiError('internal_error', `Internal error (request id ${call.requestId}).`));
      } else reply.destroy();
    }
  }

  private async run(call: Call, req: HotRequest, reply: ServerResponse, rawJson: unknown) {
    // 1–4: key, principal, key checks (the model check needs the body, so it follows its validation).
    const auth = await this.auth.authenticate(req.authorization, {
      clientIp: req.ip,
      permission: 'read',
    });
    if (!auth.ok) return this.fail(call, reply, apiError(auth.code));
    const principal = (call.principal = auth.principal);
    const body = readInferenceBody(call.endpoint, rawJson);
    if ('code' in body) return this.fail(call, reply, body);
    call.body = body;
    // Allow-lists name the gateway's model names; an alias is checked as the model it stands for.
    const route = this.router.resolve(body.model);
    if (!modelAllowed(principal, route?.model ?? body.model)) {
      return this.fail(
        call,
        reply,
        apiError('model_not_allowed', `This key may not call ${body.model}.`, 'model'),
      );
    }
    if (!route)
      return this.fail(
        call,
        reply,
        apiError('model_not_found', `The model ${body.model} does not exist.`, 'model'),
      );
    call.route = route;
    const now = Date.now();
    if (quotaExhausted(principal, now)) return this.fail(call, reply, apiError('insufficient_quota'));

    // 5: one Redis round trip for every limit and the credit reservation (none when nothing is limited).
    const maxTokens = Math.min(body.maxTokens ?? route.maxOutputTokens, route.maxOutputTokens);
    const estimate = Math.ceil((req.rawBody?.length ?? 0) / 4) + maxTokens;
    let reservation: Reservation | undefined;
    const limits = creditLimits(principal, now);
    if (limits) {
      const worstCase = await this.worstCase(call, route.model, maxTokens);
      if (worstCase === undefined)
        return this.fail(call, reply, apiError('service_unavailable', 'Prices cannot be loaded right now.'));
      reservation = { requestId: call.usageId, micros: worstCase, limits };
    }
    const rate = await this.limiter.check(principal, estimate, now, reservation);
    Object.assign(call.headers, rate.headers);
    if (rate.refusedBy === 'unavailable')
      return this.fail(
        call,
        reply,
        apiError('service_unavailable', 'The quota cannot be checked right now.'),
      );
    if (rate.refusedBy === 'key_quota' || rate.refusedBy === 'owner_credit') {
      if (rate.exhausted && reservation)
        this.exhaustion.publish(principal, rate.refusedBy, reservation.limits, now);
      const whose = rate.refusedBy === 'key_quota' ? "This key's quota" : "The owner's credit";
      return this.fail(
        call,
        reply,
        apiError('insufficient_quota', `${whose} does not cover this request's maximum cost.`),
      );
    }
    call.reservation = reservation;
    if (!rate.allowed) {
      const which = rate.refusedBy === 'key_tpm' ? 'tokens per minute' : 'requests per minute';
      return this.fail(
        call,
        reply,
        apiError('rate_limit_exceeded', `Rate limit reached for ${which}. Retry later.`),
      );
    }
    this.lastUsed.touch(principal.record.id, now);

    // 6: forward.
    const abort = new AbortController();
    const onClose = () => {
      if (!reply.writableFinished) abort.abort();
    };
    reply.once('close', onClose);
    overhead.observe({ endpoint: call.endpoint }, (performance.now() - call.started) / 1000);
    call.forwarded = true;
    const result = await this.router.forward({
      route,
      path: UPSTREAM_PATH[call.endpoint],
      body: (upstreamModel) => this.upstreamBody(call, req.rawBody, upstreamModel, maxTokens),
      priority: principal.record.tier.priority,
      signal: abort.signal,
    });
    if (!result.ok) {
      // The client left while we waited: the provider may have started, so bill the prompt, estimated.
      if (abort.signal.aborted) {
        return this.publish(
          call,
          null,
          499,
          { prompt: promptTokens(call.endpoint, body.json), completion: 0 },
          true,
        );
      }
      return this.fail(call, reply, apiError(result.code, result.message), result.provider);
    }
    try {
      const upstream = result.response;
      if (upstream.statusCode >= 400)
        return await this.upstreamError(call, reply, upstream, result.provider.name);
      if (body.stream) await this.relayStream(call, reply, upstream, result.provider.name, abort);
      else await this.relayJson(call, reply, upstream, result.provider.name);
    } finally {
      result.release();
      reply.off('close', onClose);
    }
  }

  /**
   * The request's worst-case cost: its prompt counted locally, its output at the cap. 0 for a model without
   * a price (metering flags its usage); undefined when prices were never loaded and cannot be.
   */
  private async worstCase(call: Call, model: string, maxTokens: number): Promise<number | undefined> {
    if (!this.prices.loaded) await this.prices.fresh().catch(() => undefined);
    if (!this.prices.loaded) return undefined;
    const price = this.prices.price(model);
    if (!price) return 0;
    const output = call.endpoint === 'embeddings' ? 0 : maxTokens;
    const prompt = promptTokens(call.endpoint, call.body!.json);
    return costMicros(prompt, output, price, call.principal!.record.group.multiplierPpm);
  }

  /** The client's bytes when nothing needs to change; otherwise the one re-serialisation. */
  private upstreamBody(
    call: Call,
    raw: Buffer | undefined,
    upstreamModel: string,
    maxTokens: number,
  ): Buffer | string {
    const body = call.body!;
    const capped = body.maxTokens !== undefined && body.maxTokens > maxTokens;
    const askUsage = body.stream && !body.includeUsage;
    if (call.endpoint === 'generate') {
      const { prompt, ...rest } = body.json as { prompt: string };
      return JSON.stringify({
        ...rest,
        model: upstreamModel,
        messages: [{ role: 'user', content: prompt }],
        stream: false,
      });
    }
    if (raw && !capped && !askUsage && upstreamModel === body.model) return raw;
    const json: Record<string, unknown> = { ...body.json, model: upstreamModel };
    if (capped) json[body.json.max_tokens !== undefined ? 'max_tokens' : 'max_completion_tokens'] = maxTokens;
    // Usage is always requested from the upstream; the extra frame is hidden from a client that did not ask.
    if (askUsage) json.stream_options = { ...(body.json.stream_options as object), include_usage: true };
    return JSON.stringify(json);
  }

  private async relayJson(
    call: Call,
    reply: ServerResponse,
    upstream: Dispatcher.ResponseData,
    provider: string,
  ) {
    const buf = Buffer.from(await upstream.body.arrayBuffer());
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
    } catch {
      parsed = undefined;
    }
    if (!parsed)
      return this.fail(
        call,
        reply,
        apiError('upstream_error', `Upstream ${provider} sent an unreadable body.`),
        provider,
      );
    let tokens = saneUsage(parsed.usage);
    const estimated = !tokens;
    tokens ??= {
      prompt: promptTokens(call.endpoint, call.body!.json),
      completion: completionTokensOf(parsed),
    };
    if (call.endpoint === 'generate') {
      const text =
        (parsed.choices as { message?: { content?: string } }[] | undefined)?.[0]?.message?.content ?? '';
      const out = {
        id: parsed.id,
        object: 'generation',
        model: parsed.model,
        text,
        usage: parsed.usage ?? null,
      };
      sendJson(reply, 200, call.headers, JSON.stringify(out), call.requestId);
    } else {
      sendJson(reply, 200, call.headers, buf, call.requestId);
    }
    this.publish(call, provider, 200, tokens, estimated);
  }

  private async relayStream(
    call: Call,
    res: ServerResponse,
    upstream: Dispatcher.ResponseData,
    provider: string,
    abort: AbortController,
  ) {
    res.writeHead(200, {
      ...call.headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': call.requestId,
    });
    const relay = new SseRelay(call.body!.includeUsage);
    let status = 200;
    try {
      for await (const chunk of upstream.body) {
        const out = relay.push(typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8'));
        // Backpressure: wait for a slow client rather than buffering the whole stream in memory.
        if (out && !res.write(out)) await once(res, 'drain');
      }
      const rest = relay.end();
      if (rest) res.write(rest);
      res.end();
    } catch (err) {
      // The client left (we aborted the upstream), or the upstream broke mid-stream: nothing can be retried.
      status = abort.signal.aborted ? 499 : 502;
      if (!abort.signal.aborted)
        this.logger.warn({ err, reqId: call.requestId, provider }, 'upstream stream broke');
      res.destroy();
    }
    // Billed for what was delivered: the upstream's usage when it arrived, else a local count.
    let tokens = saneUsage(relay.usage);
    const estimated = !tokens;
    tokens ??= {
      prompt: promptTokens(call.endpoint, call.body!.json),
      completion: countTextTokens(relay.delivered),
    };
    this.publish(call, provider, status, tokens, estimated);
  }

  private async upstreamError(
    call: Call,
    reply: ServerResponse,
    upstream: Dispatcher.ResponseData,
    provider: string,
  ) {
    const text = await upstream.body.text();
    let message = `Upstream ${provider} answered ${upstream.statusCode}.`;
    try {
      const m = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
      if (typeof m === 'string') message = m;
    } catch {
      /* not JSON: keep the generic message */
    }
    // The provider rejecting our credentials is our failure, not the client's.
    const code: ErrorCode = UPSTREAM_4XX[upstream.statusCode] ?? 'invalid_request';
    this.fail(call, reply, apiError(code, message), provider);
  }

  private fail(call: Call, reply: ServerResponse, error: ApiError, provider: string | null = null) {
    const status = errorStatus(error.code);
    sendJson(reply, status, call.headers, JSON.stringify(toEnvelope(error)), call.requestId);
    // Requests that got as far as the upstream are recorded (and counted there) even when they failed.
    if (call.forwarded) this.publish(call, provider, status, { prompt: 0, completion: 0 }, false);
    else requests.inc({ endpoint: call.endpoint, status });
  }

  private publish(call: Call, provider: string | null, status: number, tokens: Tokens, estimated: boolean) {
    requests.inc({ endpoint: call.endpoint, status });
    const p = call.principal!;
    if (call.reservation) {
      const price = this.prices.price(call.route!.model);
      const cost = price
        ? costMicros(tokens.prompt, tokens.completion, price, p.record.group.multiplierPpm)
        : 0;
      this.limiter.settle(p, call.reservation, cost);
    }
    const event: UsageEvent = {
      requestId: call.usageId,
      keyId: p.record.id,
      owner: { type: p.record.owner.type, id: p.record.owner.id },
      group: p.record.group.name,
      model: call.route!.model,
      endpoint: call.endpoint,
      upstream: provider,
      promptTokens: tokens.prompt,
      completionTokens: tokens.completion,
      status,
      stream: call.body!.stream,
      estimated,
      latencyMs: Math.round(performance.now() - call.started),
      at: new Date(call.at).toISOString(),
    };
    if (call.reservation) {
      const { key, ownerMicros } = call.reservation.limits;
      event.limits = {
        ...(key && { key: { micros: key.micros, period: key.type } }),
        ...(ownerMicros !== null && { ownerMicros }),
      };
    }
    this.usage.publish(event);
  }
}
