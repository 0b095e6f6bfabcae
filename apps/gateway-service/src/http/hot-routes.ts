// The public OpenAI-compatible routes, served straight from Node's HTTP server ahead of Fastify: the hot
// path pays for no framework request/reply objects, hooks or serializers. What the framework gives every
// other route is given here too, once for all hot routes: one error boundary answering in the OpenAI
// envelope, the request id rule, the request-duration histogram, and 503 while draining. Everything else
// (health, metrics, Swagger, unknown routes) falls through to Fastify and Nest.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import {
  type ApiError,
  apiError,
  errorStatus,
  type IpRange,
  parseIpRange,
  toEnvelope,
  type UsageEndpoint,
} from '@gw/contracts';
import { type Principal, quotaExhausted } from '@gw/access';
import { counter, histogram, type Logger, PreRouter, Readiness } from '@gw/platform';
import { InFlightRequests } from './in-flight.js';
import { Authenticator } from '../auth/authenticator.js';
import { CONFIG, type GatewayConfig, LOGGER } from '../config.js';
import { InferenceHandler } from '../proxy/inference.handler.js';
import { ModelsHandler } from '../proxy/models.handler.js';
import { CountTokensHandler } from '../proxy/count-tokens.handler.js';
import { anthropicEnvelope } from '../surfaces/anthropic-errors.js';
import { messagesToChat } from '../surfaces/anthropic-request.js';
import { responsesToChat } from '../surfaces/responses-request.js';
import type { SurfaceRequest } from '../surfaces/native.js';
import { isObject, isServableNatively } from './body-checks.js';
import { clientIp, type HotRequest, readBody, requestIds, sendJson } from './hot-request.js';
import type { ShapeProblem } from './json-shape.js';

/** GET /v1/models/{id}: the rest of the path is the model's name (which may hold "/"). */
const MODEL_PREFIX = '/v1/models/';
const MODEL_ROUTE = '/v1/models/{model}';

const POST_ROUTES: Record<string, UsageEndpoint | 'count_tokens'> = {
  '/v1/chat/completions': 'chat.completions',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
  '/v1/generate': 'generate',
  // Anthropic's Messages API, translated to Chat Completions (surfaces/anthropic-*.ts).
  '/v1/messages': 'messages',
  '/v1/messages/count_tokens': 'count_tokens',
  // OpenAI's Responses API, translated to Chat Completions (surfaces/responses-*.ts).
  '/v1/responses': 'responses',
};

/** Anthropic's routes: its envelope for errors, and its SDK's x-api-key header for the key. */
const ANTHROPIC = new Set(['/v1/messages', '/v1/messages/count_tokens']);

// The same histogram Fastify's routes feed (libs/platform http-app), so dashboards see every route.
const duration = histogram('http_request_duration_seconds', 'HTTP request duration', [
  'service',
  'method',
  'route',
  'status',
]);
const requests = counter('gateway_requests_total', 'Inference requests by endpoint and outcome', [
  'endpoint',
  'status',
]);
const escaped = counter('gateway_route_errors_total', 'Unexpected errors caught by the hot routes boundary');

function shapeError(problem: ShapeProblem, config: GatewayConfig): ApiError {
  if (problem === 'too_deep')
    return apiError('invalid_request', `The body is nested deeper than ${config.maxJsonDepth} levels.`);
  if (problem === 'too_many_values')
    return apiError('invalid_request', `The body has more than ${config.maxJsonValues} JSON elements.`);
  const field = problem.duplicate.slice(0, 64);
  return apiError('invalid_request', `The field ${field} is given more than once.`, field);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

@Injectable()
export class HotRoutes implements OnModuleInit {
  private readonly trusted: IpRange[];

  constructor(
    private readonly pre: PreRouter,
    private readonly auth: Authenticator,
    private readonly inference: InferenceHandler,
    private readonly models: ModelsHandler,
    private readonly countTokens: CountTokensHandler,
    private readonly readiness: Readiness,
    private readonly inFlight: InFlightRequests,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.trusted = config.trustedProxies.map((p) => parseIpRange(p)!).filter(Boolean);
  }

  onModuleInit() {
    this.pre.handle = (req, res) => this.route(req, res);
  }

  private route(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const endpoint = req.method === 'POST' ? POST_ROUTES[path] : undefined;
    const models = req.method === 'GET' && (path === '/v1/models' || path.startsWith(MODEL_PREFIX));
    if (!endpoint && !models) return false;
    // Anthropic's SDK lists models on the same path as OpenAI's, and always says which API version it speaks.
    const anthropic = ANTHROPIC.has(path) || (models && req.headers['anthropic-version'] !== undefined);
    const apiKey = req.headers['x-api-key'];
    const ctx: HotRequest = {
      ...requestIds(req),
      ip: this.address(req),
      authorization:
        req.headers.authorization ??
        (anthropic && typeof apiKey === 'string' && apiKey ? `Bearer ${apiKey}` : undefined),
      started: performance.now(),
      // Always set (one object shape for every request): the envelope of Anthropic's routes, else OpenAI's.
      envelope: anthropic ? anthropicEnvelope : undefined,
    };
    res.once('close', () => {
      const status = ctx.outcome ?? res.statusCode;
      duration.observe(
        // One series per route: /v1/models/<anything> must not mint a series per name (metrics memory).
        {
          service: 'gateway-service',
          method: req.method,
          route: models && path !== '/v1/models' ? MODEL_ROUTE : path,
          status,
        },
        (performance.now() - ctx.started) / 1000,
      );
      if (endpoint) requests.inc({ endpoint, status });
    });
    const work = this.readiness.isRefusing
      ? Promise.resolve(
          this.fail(res, ctx, apiError('service_unavailable', 'The gateway is shutting down.'), {
            'retry-after': '1',
            connection: 'close',
          }),
        )
      : endpoint
        ? this.post(endpoint, req, res, ctx)
        : this.listModels(path, res, ctx, anthropic);
    this.inFlight.track(work.catch((err: unknown) => this.boundary(err, res, ctx)));
    return true;
  }

  /** The client's address; a forwarded hop the address parser cannot read counts as the socket's own. */
  private address(req: IncomingMessage): string {
    try {
      return clientIp(req, this.trusted);
    } catch {
      return req.socket.remoteAddress ?? '';
    }
  }

  /** The one place an unexpected error of a hot route ends: logged with the request id, 500 or a cut stream. */
  private boundary(err: unknown, res: ServerResponse, ctx: HotRequest) {
    escaped.inc();
    this.logger.error({ err, reqId: ctx.id }, 'inference request failed');
    if (!res.headersSent)
      this.fail(res, ctx, apiError('internal_error', `Internal error (request id ${ctx.id}).`));
    else res.destroy();
  }

  private fail(res: ServerResponse, ctx: HotRequest, error: ApiError, headers: Record<string, string> = {}) {
    const body = ctx.envelope ? ctx.envelope(error) : JSON.stringify(toEnvelope(error));
    sendJson(res, errorStatus(error.code), headers, body, ctx.id);
  }

  /** Steps 1–4 from the headers alone: a request without a working key costs no body read. */
  private async principal(res: ServerResponse, ctx: HotRequest): Promise<Principal | undefined> {
    // Calling models needs no permission (DESIGN "Keys"): read/write/admin/webhook are management rights.
    const auth = await this.auth.authenticate(ctx.authorization, { clientIp: ctx.ip });
    if (auth.ok) return auth.principal;
    const headers: Record<string, string> = {};
    if (auth.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(auth.retryAfterMs / 1000));
    this.fail(res, ctx, apiError(auth.code), headers);
    return undefined;
  }

  private async listModels(path: string, res: ServerResponse, ctx: HotRequest, anthropic: boolean) {
    const principal = await this.principal(res, ctx);
    if (!principal) return;
    if (path === '/v1/models') this.models.handle(principal, ctx, res, anthropic);
    else this.models.retrieve(principal, path.slice(MODEL_PREFIX.length), ctx, res, anthropic);
  }

  /** The Responses request as Chat Completions; the fields its answer repeats go on the request. */
  private responses(json: unknown, ctx: HotRequest) {
    const translated = responsesToChat(json);
    if ('echo' in translated) ctx.echo = translated.echo;
    return translated;
  }

  private async post(
    endpoint: UsageEndpoint | 'count_tokens',
    req: IncomingMessage,
    res: ServerResponse,
    ctx: HotRequest,
  ) {
    const principal = await this.principal(res, ctx);
    if (!principal) return;
    // A key that can spend nothing more is refused before its body costs anything (checked here only).
    if (quotaExhausted(principal, Date.now())) return this.fail(res, ctx, apiError('insufficient_quota'));
    const { maxBodyBytes, maxJsonDepth, maxJsonValues } = this.config;
    const read = await readBody(req, maxBodyBytes, { maxDepth: maxJsonDepth, maxValues: maxJsonValues });
    if (!read.ok) {
      if (read.reason === 'aborted') {
        ctx.outcome = 499;
        return void res.destroy();
      }
      if (read.reason === 'shape') return this.fail(res, ctx, shapeError(read.problem, this.config));
      return this.fail(res, ctx, apiError('request_too_large', `The body exceeds ${maxBodyBytes} bytes.`));
    }
    let json: unknown;
    try {
      // Invalid UTF-8 is refused, not replaced: the provider must read the same fields the gateway checked.
      json = JSON.parse(utf8.decode(read.body));
    } catch {
      return this.fail(res, ctx, apiError('invalid_request', 'The body is not valid JSON (UTF-8).'));
    }
    if (endpoint === 'count_tokens') {
      const error = await this.countTokens.handle(principal, json, ctx, res);
      return error && this.fail(res, ctx, error.error, error.headers);
    }
    if (endpoint !== 'messages' && endpoint !== 'responses')
      return this.inference.handle(endpoint, ctx, principal, read.body, json, res);
    if (!isObject(json))
      return this.fail(res, ctx, apiError('invalid_request', 'The body must be a JSON object.'));
    // The one pipeline underneath: the request continues as Chat Completions, and a provider that speaks the
    // surface itself is sent the client's own body instead (InferenceHandler).
    const translated = endpoint === 'messages' ? messagesToChat(json) : this.responses(json, ctx);
    // A malformed body is refused here; one with what only the provider's own API can serve may go on.
    if ('error' in translated && !isServableNatively(translated.error))
      return this.fail(res, ctx, translated.error);
    const surface: SurfaceRequest = {
      surface: endpoint,
      json,
      untranslatable: 'error' in translated ? translated.error : undefined,
    };
    const chat = 'chat' in translated ? translated.chat : undefined;
    await this.inference.handle(endpoint, ctx, principal, read.body, chat, res, surface);
  }
}
