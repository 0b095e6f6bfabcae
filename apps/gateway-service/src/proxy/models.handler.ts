// GET /v1/models and /v1/models/{id}: only the models this key (and its tier) may call; an alias is the model
// it stands for, as when calling it. Anthropic's SDK (which sends `anthropic-version`) gets its own shapes.
import type { ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { modelAllowed, type Principal } from '@gw/access';
import { apiError, errorStatus, toEnvelope } from '@gw/contracts';
import { type HotRequest, sendJson } from '../http/hot-request.js';
import { UpstreamRouter } from '../upstreams/router.js';

@Injectable()
export class ModelsHandler {
  constructor(private readonly router: UpstreamRouter) {}

  handle(principal: Principal, req: HotRequest, res: ServerResponse, anthropic: boolean) {
    const ids = this.router.catalogue.models.filter((m) => modelAllowed(principal, m));
    const body = anthropic
      ? // One page holds them all (the catalogue is small), so Anthropic's pagination ends at once.
        {
          data: ids.map(anthropicModel),
          has_more: false,
          first_id: ids[0] ?? null,
          last_id: ids.at(-1) ?? null,
        }
      : { object: 'list', data: ids.map(openaiModel) };
    sendJson(res, 200, {}, JSON.stringify(body), req.id);
  }

  /** One model by the name the client uses (`id` still percent-encoded, as in the path). */
  retrieve(
    principal: Principal,
    encodedId: string,
    req: HotRequest,
    res: ServerResponse,
    anthropic: boolean,
  ) {
    let id: string | undefined;
    try {
      id = decodeURIComponent(encodedId);
    } catch {
      id = undefined;
    }
    const route = id ? this.router.resolve(id) : undefined;
    // Unknown and not allowed look the same: a key learns nothing of models it may not call.
    if (!id || !route || !modelAllowed(principal, route.model)) {
      const error = apiError('model_not_found', 'The model does not exist or this key may not call it.');
      const body = req.envelope ? req.envelope(error) : JSON.stringify(toEnvelope(error));
      return sendJson(res, errorStatus(error.code), {}, body, req.id);
    }
    sendJson(res, 200, {}, JSON.stringify(anthropic ? anthropicModel(id) : openaiModel(id)), req.id);
  }
}

const openaiModel = (id: string) => ({ id, object: 'model', created: 0, owned_by: 'ai-gateway' });
// created_at is required by Anthropic's shape; the gateway does not know when a provider released a model.
const anthropicModel = (id: string) => ({
  type: 'model',
  id,
  display_name: id,
  created_at: '1970-01-01T00:00:00Z',
});
