// POST /v1/messages/count_tokens (Anthropic's): the prompt's tokens as the gateway counts them for billing,
// answered locally — no provider is called and nothing is billed. The same model rule as calling it.
import type { ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { type ApiError, apiError } from '@gw/contracts';
import { modelAllowed, type Principal } from '@gw/access';
import { type HotRequest, sendJson } from '../http/hot-request.js';
import { messagesToChat } from '../surfaces/anthropic-request.js';
import { UpstreamRouter } from '../upstreams/router.js';
import { promptTokens } from './usage-numbers.js';

@Injectable()
export class CountTokensHandler {
  constructor(private readonly router: UpstreamRouter) {}

  /** The answer, or the error for the caller to send in the surface's envelope. */
  handle(principal: Principal, json: unknown, req: HotRequest, res: ServerResponse): ApiError | undefined {
    const translated = messagesToChat(json, { countOnly: true });
    if ('error' in translated) return translated.error;
    const chat = translated.chat;
    const model = chat.model as string;
    const route = this.router.resolve(model);
    if (!modelAllowed(principal, route?.model ?? model))
      return apiError('model_not_allowed', `This key may not call ${model}.`, 'model');
    if (!route) return apiError('model_not_found', `The model ${model} does not exist.`, 'model');
    const tokens = promptTokens('messages', chat, 'estimate', route.mediaPartTokens);
    sendJson(res, 200, {}, JSON.stringify({ input_tokens: tokens }), req.id);
    return undefined;
  }
}
