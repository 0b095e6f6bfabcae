// The hot path of DESIGN, steps 4–7, for chat, completions, embeddings and generate, on Node's own request
// and response objects (http/hot-routes.ts did steps 1–3 and read the body). Three typed stages: admit
// (validate, check, limit, reserve) → serve (forward, relay) → record, the single exit that publishes usage
// for every request that was forwarded, whatever happened on the way (metering releases what was held for it).
import type { ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import {
  apiError,
  type ApiError,
  costMicros,
  errorStatus,
  ownerTag,
  toEnvelope,
  type UsageEndpoint,
  type UsageEvent,
  type UsageHeld,
} from '@gw/contracts';
import { creditLimits, modelAllowed, type Principal } from '@gw/access';
import { histogram, type Logger, PriceBook } from '@gw/platform';
import { CONFIG, type GatewayConfig, LOGGER } from '../config.js';
import { type HotRequest, sendJson } from '../http/hot-request.js';
import { bad } from '../http/body-checks.js';
import { ExhaustionNotice } from '../limits/exhaustion-notice.js';
import { Limiter, type Reservation } from '../limits/limiter.js';
import { AbortFlag } from '../upstreams/abort-flag.js';
import { type Prepared, type Target, UpstreamRouter } from '../upstreams/router.js';
import type { ModelRoute, NativeSurface } from '../upstreams/upstream-config.js';
import { LastUsedBatcher } from '../usage/last-used.js';
import { UsagePublisher } from '../usage/usage-publisher.js';
import { type InferenceBody, readInferenceBody } from './inference-body.js';
import { readLimited, relayJson, relayStream, type RelayContext, type Settlement } from './relays.js';
import { upstreamBody } from './upstream-body.js';
import { upstreamClientError } from './upstream-errors.js';
import { mediaParts, promptTokens } from './usage-numbers.js';
import { StoredResponses } from '../surfaces/stored-responses.js';
import { chatToMessage } from '../surfaces/anthropic-response.js';
import { MessagesStream } from '../surfaces/anthropic-stream.js';
import { chatToResponse, type ResponsesContext } from '../surfaces/responses-response.js';
import { ResponsesStream } from '../surfaces/responses-stream.js';
import {
  NATIVE_PATH,
  nativeBody,
  nativeMediaParts,
  readNativeBody,
  storedReference,
  storesAtProvider,
  type SurfaceRequest,
  unboundedForLimitedKey,
} from '../surfaces/native.js';

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
  messages: '/chat/completions',
  responses: '/chat/completions',
};

/** Surfaces whose request was translated to Chat Completions: the client's bytes are not the provider's. */
const TRANSLATED: ReadonlySet<UsageEndpoint> = new Set(['generate', 'messages', 'responses']);

const NOTHING = { prompt: 0, completion: 0 };
/** A provider's error message is short; more is not read. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** A request that passed every check: what serving and recording it need. */
interface Admitted {
  endpoint: UsageEndpoint;
  req: HotRequest;
  raw: Buffer;
  /** Wall-clock time the request was admitted (the usage event's `at`, which decides its month). */
  at: number;
  principal: Principal;
  body: InferenceBody;
  route: ModelRoute;
  /** The output cap every answer is held to (written into the forwarded body). */
  cap: number;
  /** The credit reserved for this request (its worst case). */
  reservation: Reservation | undefined;
  /** What Redis holds for it, released by metering when it counts the usage event that names it. */
  held: UsageHeld | undefined;
  headers: Record<string, string>;
  /** A Responses or Messages request: what a provider speaking that API itself is sent. */
  surface: SurfaceRequest | undefined;
  /** Only such a provider can serve it (the body has no Chat Completions equivalent); `body.json` is the client's. */
  nativeOnly: boolean;
}

type Refusal = { error: ApiError; headers: Record<string, string> };

@Injectable()
export class InferenceHandler {
  constructor(
    private readonly limiter: Limiter,
    private readonly prices: PriceBook,
    private readonly exhaustion: ExhaustionNotice,
    private readonly router: UpstreamRouter,
    private readonly usage: UsagePublisher,
    private readonly lastUsed: LastUsedBatcher,
    private readonly stored: StoredResponses,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(
    endpoint: UsageEndpoint,
    req: HotRequest,
    principal: Principal,
    raw: Buffer,
    /** The body the pipeline reads: Chat Completions for a translated surface (ignored when native-only). */
    json: unknown,
    res: ServerResponse,
    surface?: SurfaceRequest,
  ): Promise<void> {
    const admitted = await this.admit(endpoint, req, principal, raw, json, surface);
    if ('error' in admitted) return this.send(res, req, admitted.error, admitted.headers);
    let settlement: Settlement;
    try {
      settlement = await this.serve(admitted, res);
    } catch (err) {
      // A fault of ours after forwarding: still recorded (prompt estimated), so nothing goes unbilled.
      this.logger.error({ err, reqId: req.id }, 'inference request failed while serving');
      if (res.headersSent) res.destroy();
      else this.send(res, req, apiError('internal_error', `Internal error (request id ${req.id}).`), {});
      settlement = { status: 500, provider: null, tokens: this.promptEstimate(admitted), estimated: true };
    }
    req.outcome = settlement.status;
    this.record(admitted, settlement);
  }

  /** Steps 4–5: body, model, quota, rate limits and the credit reservation (one Redis round trip). */
  private async admit(
    endpoint: UsageEndpoint,
    req: HotRequest,
    principal: Principal,
    raw: Buffer,
    json: unknown,
    surface: SurfaceRequest | undefined,
  ): Promise<Admitted | Refusal> {
    const headers: Record<string, string> = {};
    const refuse = (error: ApiError): Refusal => ({ error, headers });
    const untranslatable = surface?.untranslatable;
    // A model this key may not call looks like one no provider serves natively (nothing learnt of it).
    if (untranslatable && !this.servedNatively(surface, principal)) return refuse(untranslatable);
    const body = untranslatable
      ? readNativeBody(surface.surface, surface.json)
      : readInferenceBody(endpoint, json, { maxChoices: this.config.maxChoices });
    if ('code' in body) return refuse(body);
    // Allow-lists name the gateway's model names; an alias is checked as the model it stands for.
    const route = this.router.resolve(body.model);
    if (!modelAllowed(principal, route?.model ?? body.model))
      return refuse(apiError('model_not_allowed', `This key may not call ${body.model}.`, 'model'));
    if (!route)
      return refuse(apiError('model_not_found', `The model ${body.model} does not exist.`, 'model'));
    const now = Date.now();

    const cap = Math.min(body.maxTokens ?? route.maxOutputTokens, route.maxOutputTokens);
    // TPM counts an estimate: body bytes ÷ 4 plus every answer at the cap.
    const estimate = Math.ceil(raw.length / 4) + cap * body.outputs;
    let reservation: Reservation | undefined;
    const limits = creditLimits(principal, now);
    if (limits && untranslatable) return refuse(unboundedForLimitedKey(untranslatable));
    const passes = surface !== undefined && this.router.speaks(route, surface.surface);
    if (passes) {
      const reference = storedReference(surface.surface, surface.json);
      if (reference)
        return refuse(
          bad(reference, 'items and prompts kept at the provider are not served; send their content instead'),
        );
    }
    if (untranslatable) {
      const owned = await this.ownsPrevious(surface, principal);
      if (owned) return refuse(owned);
    }
    if (limits) {
      const passed = passes ? surface : undefined;
      const worstCase = await this.worstCase(endpoint, body, route, cap, principal, passed && raw, passed);
      if (worstCase === undefined)
        return refuse(apiError('service_unavailable', 'Prices cannot be loaded right now.'));
      reservation = { requestId: req.usageId, micros: worstCase, limits };
    }
    const rate = await this.limiter.check(principal, estimate, now, reservation);
    Object.assign(headers, rate.headers);
    if (rate.refusedBy === 'unavailable')
      return refuse(apiError('service_unavailable', 'The quota cannot be checked right now.'));
    if (rate.refusedBy === 'key_quota' || rate.refusedBy === 'owner_credit') {
      if (rate.exhausted && reservation)
        this.exhaustion.publish(principal, rate.refusedBy, reservation.limits, now);
      const whose = rate.refusedBy === 'key_quota' ? "This key's quota" : "The owner's credit";
      return refuse(apiError('insufficient_quota', `${whose} does not cover this request's maximum cost.`));
    }
    if (!rate.allowed) {
      const which = rate.refusedBy === 'key_tpm' ? 'tokens per minute' : 'requests per minute';
      return refuse(apiError('rate_limit_exceeded', `Rate limit reached for ${which}. Retry later.`));
    }
    this.lastUsed.touch(principal.record.id, now);
    return {
      endpoint,
      req,
      raw,
      at: now,
      principal,
      body,
      route,
      cap,
      reservation,
      held: rate.held,
      headers,
      surface,
      nativeOnly: untranslatable !== undefined,
    };
  }

  /** Whether a request the gateway cannot translate names a model this key may call in a provider's own API. */
  private servedNatively(surface: SurfaceRequest, principal: Principal): boolean {
    const model = surface.json.model;
    const route = typeof model === 'string' ? this.router.resolve(model) : undefined;
    return (
      route !== undefined &&
      modelAllowed(principal, route.model) &&
      this.router.speaks(route, surface.surface)
    );
  }

  /** The refusal of a `previous_response_id` that is not a Response this owner stored through the gateway. */
  private async ownsPrevious(surface: SurfaceRequest, principal: Principal): Promise<ApiError | undefined> {
    const id = surface.json.previous_response_id;
    if (surface.surface !== 'responses' || typeof id !== 'string') return undefined;
    const owned = await this.stored.ownedBy(
      id,
      ownerTag(principal.record.owner.type, principal.record.owner.id),
    );
    if (owned === undefined)
      return apiError('service_unavailable', 'Stored responses cannot be checked right now.');
    return owned
      ? undefined
      : apiError('invalid_request', `Previous response with id '${id}' not found.`, 'previous_response_id');
  }

  /** The surface a target speaks for this request natively, if it does. */
  private nativeFor(a: Admitted, target: Target): NativeSurface | undefined {
    const surface = a.surface?.surface;
    return surface && target.provider.config.nativeSurfaces.has(surface) ? surface : undefined;
  }

  /** The request as one target is sent it: the client's own surface when it speaks it, else Chat Completions. */
  private prepare(a: Admitted, target: Target): Prepared {
    const native = this.nativeFor(a, target);
    if (native)
      return {
        path: NATIVE_PATH[native],
        body: nativeBody(native, a.surface!.json, target.upstreamModel, a.cap, { unstored: !a.nativeOnly }),
        anthropic: native === 'messages',
      };
    return {
      path: UPSTREAM_PATH[a.endpoint],
      body: upstreamBody(
        a.endpoint,
        a.body,
        TRANSLATED.has(a.endpoint) ? undefined : a.raw,
        { upstreamModel: target.upstreamModel, capField: target.provider.config.maxTokensField },
        a.cap,
      ),
    };
  }

  /**
   * The request's worst-case cost: its prompt bounded locally (tools and schemas included), every answer it
   * may produce at the cap. 0 for a model without a price (metering flags its usage); undefined when prices
   * were never loaded and cannot be.
   */
  private async worstCase(
    endpoint: UsageEndpoint,
    body: InferenceBody,
    route: ModelRoute,
    cap: number,
    principal: Principal,
    /** The client's bytes and request, when a provider may be sent them as they are (native pass-through). */
    passed: Buffer | undefined,
    surface: SurfaceRequest | undefined,
  ): Promise<number | undefined> {
    if (!this.prices.loaded) await this.prices.fresh().catch(() => undefined);
    if (!this.prices.loaded) return undefined;
    const price = this.prices.price(route.model);
    if (!price) return 0;
    let prompt = promptTokens(endpoint, body.json, 'bound', route.mediaPartTokens);
    // The client's own body carries what the translation dropped (reasoning items, thinking blocks, fields it
    // does not know): every byte may be a token, every media part its own.
    if (passed && surface) {
      const media = Math.max(mediaParts(body.json), nativeMediaParts(surface.json));
      prompt = Math.max(prompt, passed.length + media * route.mediaPartTokens);
    }
    return costMicros(prompt, cap * body.outputs, price, principal.record.group.multiplierPpm);
  }

  /** Never throws: the single exit must run whatever went wrong (then the body's bytes ÷ 4 stand in). */
  private promptEstimate(a: Admitted) {
    // A native-only body is not Chat Completions: its bytes ÷ 4 stand in.
    if (a.nativeOnly) return { prompt: Math.ceil(a.raw.length / 4), completion: 0 };
    try {
      return {
        prompt: promptTokens(a.endpoint, a.body.json, 'estimate', a.route.mediaPartTokens),
        completion: 0,
      };
    } catch {
      return { prompt: Math.ceil(a.raw.length / 4), completion: 0 };
    }
  }

  /** Step 6: forward and relay. Every path returns what the request came to. */
  private async serve(a: Admitted, res: ServerResponse): Promise<Settlement> {
    const upstreamAbort = new AbortFlag();
    // Read by the relays as a flag only: no AbortSignal to build per request (issue #14).
    const gone = { aborted: false };
    let readOn: NodeJS.Timeout | undefined;
    // The client left: stop writing, but read the upstream on for a while to learn the real usage.
    let timedOut = false;
    let clientLeft = false;
    // Ends the wait for a provider slot: the client left or the deadline passed (one flag for both:
    // AbortSignal.any costs every request a weak registration).
    const waitEnds = new AbortFlag();
    const onClose = () => {
      if (res.writableFinished) return;
      clientLeft ||= !timedOut;
      gone.aborted = true;
      waitEnds.abort();
      // Most of a native-only request's prompt is at the provider (a stored response, a file): only its own
      // usage tells, so its answer is read to the end (the request's deadline still ends it).
      if (a.nativeOnly) return;
      const ms = this.config.usageReadAfterCloseMs;
      if (ms === 0) upstreamAbort.abort();
      else readOn = setTimeout(() => upstreamAbort.abort(), ms);
    };
    res.once('close', onClose);
    // However the client reads and the upstream writes, the request ends by REQUEST_MAX_MS.
    const deadline = setTimeout(() => {
      timedOut = true;
      waitEnds.abort();
      upstreamAbort.abort();
      if (res.headersSent && !res.writableFinished) res.destroy();
    }, this.config.requestMaxMs);
    overhead.observe({ endpoint: a.endpoint }, (performance.now() - a.req.started) / 1000);
    const result = await this.router.forward({
      route: a.route,
      prepare: (t) => this.prepare(a, t),
      eligible: a.nativeOnly ? (t) => this.nativeFor(a, t) !== undefined : undefined,
      priority: a.principal.record.tier.priority,
      signal: upstreamAbort,
      clientGone: waitEnds,
    });
    try {
      if (!result.ok) {
        if (timedOut && !clientLeft) {
          this.send(
            res,
            a.req,
            apiError('upstream_timeout', 'The request took longer than allowed.'),
            a.headers,
          );
          const tokens = result.sent ? this.promptEstimate(a) : NOTHING;
          return { status: 504, provider: result.provider, tokens, estimated: result.sent };
        }
        // Gone before an answer: a provider that had the request may have started on it.
        if (gone.aborted)
          return {
            status: 499,
            provider: result.provider,
            tokens: result.sent ? this.promptEstimate(a) : NOTHING,
            estimated: result.sent,
          };
        const retry: Record<string, string> =
          result.code === 'service_unavailable' ? { 'retry-after': '1' } : {};
        this.send(res, a.req, apiError(result.code, result.message), { ...a.headers, ...retry });
        return {
          status: errorStatus(result.code),
          provider: result.provider,
          tokens: NOTHING,
          estimated: false,
        };
      }
      const { response: upstream, provider } = result;
      const native =
        a.surface && provider.config.nativeSurfaces.has(a.surface.surface) ? a.surface.surface : undefined;
      if (upstream.statusCode >= 400) {
        // A provider's refusal costs nothing; its body is mapped, never relayed as it is.
        const text = (await readLimited(upstream.body, ERROR_BODY_LIMIT))?.toString('utf8') ?? '';
        const error = upstreamClientError(upstream.statusCode, text, provider.name);
        this.send(res, a.req, error, a.headers);
        return {
          status: errorStatus(error.code),
          provider: provider.name,
          tokens: NOTHING,
          estimated: false,
        };
      }
      const c: RelayContext = {
        res,
        upstream,
        provider: provider.name,
        gone,
        // A native answer without usage: the client's body may hold more than its translation.
        promptEstimate: () =>
          native
            ? Math.max(this.promptEstimate(a).prompt, Math.ceil(a.raw.length / 4))
            : this.promptEstimate(a).prompt,
        headers: a.headers,
        requestId: a.req.id,
        stallTimeoutMs: this.config.streamStallTimeoutMs,
        fail: (error) => this.send(res, a.req, error, a.headers),
        native,
        // A stored Response is its owner's from the moment its id is known (before the client can use it).
        onAnswerId:
          native && a.surface && storesAtProvider(a.surface)
            ? (id) =>
                this.stored.record(id, ownerTag(a.principal.record.owner.type, a.principal.record.owner.id))
            : undefined,
      };
      const translator = native
        ? undefined
        : a.endpoint === 'messages'
          ? new MessagesStream({ model: a.body.model, requestId: a.req.id })
          : a.endpoint === 'responses'
            ? new ResponsesStream(this.responsesContext(a))
            : undefined;
      const settled = a.body.stream
        ? await relayStream(c, a.body.includeUsage, translator)
        : await relayJson(c, (parsed, raw) =>
            native ? sendJson(res, 200, a.headers, raw, a.req.id) : this.answer(a, res, parsed, raw),
          );
      return timedOut && !clientLeft && settled.status !== 200 ? { ...settled, status: 504 } : settled;
    } finally {
      clearTimeout(readOn);
      clearTimeout(deadline);
      res.off('close', onClose);
      if (result.ok) {
        if (!result.response.body.readableEnded) result.response.body.destroy();
        result.release();
      }
    }
  }

  private answer(a: Admitted, res: ServerResponse, parsed: Record<string, unknown>, raw: Buffer) {
    if (a.endpoint === 'messages') {
      const message = chatToMessage(parsed, { model: a.body.model, requestId: a.req.id });
      return sendJson(res, 200, a.headers, JSON.stringify(message), a.req.id);
    }
    if (a.endpoint === 'responses') {
      const response = chatToResponse(parsed, this.responsesContext(a));
      return sendJson(res, 200, a.headers, JSON.stringify(response), a.req.id);
    }
    if (a.endpoint !== 'generate') return sendJson(res, 200, a.headers, raw, a.req.id);
    const first = (parsed.choices as { message?: { content?: unknown } }[] | undefined)?.[0];
    const text = typeof first?.message?.content === 'string' ? first.message.content : '';
    const out = {
      id: parsed.id,
      object: 'generation',
      model: parsed.model,
      text,
      usage: parsed.usage ?? null,
    };
    sendJson(res, 200, a.headers, JSON.stringify(out), a.req.id);
  }

  private responsesContext(a: Admitted): ResponsesContext {
    return {
      model: a.body.model,
      requestId: a.req.id,
      createdAt: Math.floor(a.at / 1000),
      echo: a.req.echo!,
    };
  }

  /** An error answer in the envelope of the request's surface (OpenAI's unless it says otherwise). */
  private send(res: ServerResponse, req: HotRequest, error: ApiError, headers: Record<string, string>) {
    const body = req.envelope ? req.envelope(error) : JSON.stringify(toEnvelope(error));
    sendJson(res, errorStatus(error.code), headers, body, req.id);
  }

  /** Step 7, the single exit of every forwarded request: publish the usage event (it names what is held). */
  private record(a: Admitted, s: Settlement) {
    const p = a.principal;
    // Held while Redis was down: settled in this process.
    if (a.reservation && !a.held) {
      const price = this.prices.price(a.route.model);
      const cost = price
        ? costMicros(s.tokens.prompt, s.tokens.completion, price, p.record.group.multiplierPpm)
        : 0;
      this.limiter.settle(a.reservation, cost);
    }
    const event: UsageEvent = {
      requestId: a.req.usageId,
      keyId: p.record.id,
      owner: { type: p.record.owner.type, id: p.record.owner.id },
      group: p.record.group.name,
      model: a.route.model,
      endpoint: a.endpoint,
      upstream: s.provider,
      promptTokens: s.tokens.prompt,
      completionTokens: s.tokens.completion,
      status: s.status,
      stream: a.body.stream,
      estimated: s.estimated,
      latencyMs: Math.round(performance.now() - a.req.started),
      at: new Date(a.at).toISOString(),
    };
    if (a.reservation) {
      const { key, ownerMicros } = a.reservation.limits;
      event.limits = {
        ...(key && { key: { micros: key.micros, period: key.type } }),
        ...(ownerMicros !== null && { ownerMicros }),
      };
    }
    if (a.held) event.held = a.held;
    this.usage.publish(event);
  }
}
