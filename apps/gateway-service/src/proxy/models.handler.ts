// GET /v1/models: only the models this key (and its tier) may call.
import type { ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { modelAllowed, type Principal } from '@gw/access';
import { type HotRequest, sendJson } from '../http/hot-request.js';
import { UpstreamRouter } from '../upstreams/router.js';

@Injectable()
export class ModelsHandler {
  constructor(private readonly router: UpstreamRouter) {}

  handle(principal: Principal, req: HotRequest, res: ServerResponse) {
    const data = this.router.catalogue.models
      .filter((m) => modelAllowed(principal, m))
      .map((id) => ({ id, object: 'model', created: 0, owned_by: 'ai-gateway' }));
    sendJson(res, 200, {}, JSON.stringify({ object: 'list', data }), req.id);
  }
}
