// GET /v1/models and /v1/models/{id}: only the models this key (and its tier) may call; an alias is the model
// it stands for, as when calling it.
import type { ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { modelAllowed, type Principal } from '@gw/access';
import { apiError, errorStatus, toEnvelope } from '@gw/contracts';
import { type HotRequest, sendJson } from '../http/hot-request.js';
import { UpstreamRouter } from '../upstreams/router.js';

@Injectable()
export class ModelsHandler {
  constructor(private readonly router: UpstreamRouter) {}

  handle(principal: Principal, req: HotRequest, res: ServerResponse) {
    const data = this.router.catalogue.models.filter((m) => modelAllowed(principal, m)).map(modelObject);
    sendJson(res, 200, {}, JSON.stringify({ object: 'list', data }), req.id);
  }

  /** One model by the name the client uses (`id` still percent-encoded, as in the path). */
  retrieve(principal: Principal, encodedId: string, req: HotRequest, res: ServerResponse) {
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
      return sendJson(res, errorStatus(error.code), {}, JSON.stringify(toEnvelope(error)), req.id);
    }
    sendJson(res, 200, {}, JSON.stringify(modelObject(id)), req.id);
  }
}

const modelObject = (id: string) => ({ id, object: 'model', created: 0, owned_by: 'ai-gateway' });
