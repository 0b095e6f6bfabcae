// GET /v1/models: only the models this key (and its tier) may call.
import { Injectable } from '@nestjs/common';
import { apiError, errorStatus, toEnvelope } from '@gw/contracts';
import { modelAllowed } from '@gw/access';
import type { ServerResponse } from 'node:http';
import { type HotRequest, sendJson } from '../http/hot-request.js';
import { Authenticator } from '../auth/authenticator.js';
import { UpstreamRouter } from '../upstreams/router.js';

@Injectable()
export class ModelsHandler {
  constructor(
    private readonly auth: Authenticator,
    private readonly router: UpstreamRouter,
  ) {}

  async handle(req: HotRequest, res: ServerResponse) {
    const auth = await this.auth.authenticate(req.authorization, {
      clientIp: req.ip,
      permission: 'read',
    });
    if (!auth.ok) {
      const err = apiError(auth.code);
      return sendJson(res, errorStatus(err.code), {}, JSON.stringify(toEnvelope(err)), req.id);
    }
    const data = this.router.catalogue.models
      .filter((m) => modelAllowed(auth.principal, m))
      .map((id) => ({ id, object: 'model', created: 0, owned_by: 'ai-gateway' }));
    sendJson(res, 200, {}, JSON.stringify({ object: 'list', data }), req.id);
  }
}
