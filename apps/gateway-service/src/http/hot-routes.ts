// The public OpenAI-compatible routes, served straight from Node's HTTP server ahead of Fastify: the hot
// path pays for no framework request/reply objects, hooks or serializers. Everything else (health, metrics,
// Swagger, unknown routes) falls through to Fastify and Nest.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import {
  apiError,
  errorStatus,
  type IpRange,
  parseIpRange,
  toEnvelope,
  type UsageEndpoint,
} from '@gw/contracts';
import { PreRouter } from '@gw/platform';
import { CONFIG, type GatewayConfig } from '../config.js';
import { InferenceHandler } from '../proxy/inference.handler.js';
import { ModelsHandler } from '../proxy/models.handler.js';
import { clientIp, type HotRequest, readBody, requestIds, sendJson } from './hot-request.js';

const POST_ROUTES: Record<string, UsageEndpoint> = {
  '/v1/chat/completions': 'chat.completions',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
  '/v1/generate': 'generate',
};

@Injectable()
export class HotRoutes implements OnModuleInit {
  private readonly trusted: IpRange[];

  constructor(
    private readonly pre: PreRouter,
    private readonly inference: InferenceHandler,
    private readonly models: ModelsHandler,
    @Inject(CONFIG) private readonly config: GatewayConfig,
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
    if (req.method === 'POST') {
      const endpoint = POST_ROUTES[path];
      if (!endpoint) return false;
      void this.post(endpoint, req, res);
      return true;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      void this.models.handle(this.context(req, undefined), res);
      return true;
    }
    return false;
  }

  private context(req: IncomingMessage, rawBody: Buffer | undefined): HotRequest {
    return {
      ...requestIds(req),
      ip: clientIp(req, this.trusted),
      authorization: req.headers.authorization,
      rawBody,
    };
  }

  private async post(endpoint: UsageEndpoint, req: IncomingMessage, res: ServerResponse) {
    let body: Buffer | 'too_large';
    try {
      body = await readBody(req, this.config.maxBodyBytes);
    } catch {
      res.destroy();
      return;
    }
    const ctx = this.context(req, body === 'too_large' ? undefined : body);
    const fail = (code: 'request_too_large' | 'invalid_request', message: string) => {
      const err = apiError(code, message);
      sendJson(res, errorStatus(code), {}, JSON.stringify(toEnvelope(err)), ctx.id);
    };
    if (body === 'too_large')
      return fail('request_too_large', `The body exceeds ${this.config.maxBodyBytes} bytes.`);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return fail('invalid_request', 'The body is not valid JSON.');
    }
    await this.inference.handle(endpoint, ctx, res, json);
  }
}
