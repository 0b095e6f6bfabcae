// POST /v1/messages/count_tokens (Anthropic's): the prompt's tokens as the gateway counts them for billing,
// answered locally — no provider is called and nothing is billed. The same model rule as calling it, and a
// request against the key's requests-per-minute like any other (counting is cheap, not free).
import type { ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { type ApiError, apiError } from '@gw/contracts';
import { modelAllowed, type Principal } from '@gw/access';
import { type HotRequest, sendJson } from '../http/hot-request.js';
import { messagesToChat } from '../surfaces/anthropic-request.js';
import { Limiter } from '../limits/limiter.js';
import { UpstreamRouter } from '../upstreams/router.js';
import { promptTokens } from './usage-numbers.js';

@Injectable()
export class CountTokensHandler {
  constructor(
    private readonly router: UpstreamRouter,
    private readonly limiter: Limiter,
  ) {}

  /** The answer, or the error (and its headers) for the caller to send in the surface's envelope. */
  async handle(
    principal: Principal,
    json: unknown,
    req: HotRequest,
    res: ServerResponse,
  ): Promise<{ error: ApiError; headers?: Record<string, string> } | undefined> {
    const translated = messagesToChat(json, { countOnly: true });
    if ('error' in translated) return translated;
    const chat = translated.chat;
    const model = chat.model as string;
    const route = this.router.resolve(model);
    if (!modelAllowed(principal, route?.model ?? model))
      return { error: apiError('model_not_allowed', `This key may not call ${model}.`, 'model') };
    if (!route) return { error: apiError('model_not_found', `The model ${model} does not exist.`, 'model') };
    const rate = await this.limiter.check(principal, 0, Date.now());
    if (rate.refusedBy === 'unavailable')
      return { error: apiError('service_unavailable', 'The rate limit cannot be checked right now.') };
    if (!rate.allowed)
      return {
        error: apiError('rate_limit_exceeded', 'Rate limit reached for requests per minute. Retry later.'),
        headers: rate.headers,
      };
    const tokens = promptTokens('messages', chat, 'estimate', route.mediaPartTokens);
    sendJson(res, 200, rate.headers, JSON.stringify({ input_tokens: tokens }), req.id);
    return undefined;
  }
}
