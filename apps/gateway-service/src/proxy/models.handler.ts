// GET /v1/models: only the models this key (and its tier) may call.
import { Injectable } from '@nestjs/common';
import { apiError, errorStatus, toEnvelope } from '@gw/contracts';
import { modelAllowed } from '@gw/access';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Authenticator } from '../auth/authenticator.js';
import { UpstreamRouter } from '../upstreams/router.js';

@Injectable()
export class ModelsHandler {
  constructor(
    private readonly auth: Authenticator,
    private readonly router: UpstreamRouter,
  ) {}

  async handle(req: FastifyRequest, reply: FastifyReply) {
    const auth = await this.auth.authenticate(req.headers.authorization, {
      clientIp: req.ip,
      permission: 'read',
    });
    if (!auth.ok) {
      const err = apiError(auth.code);
      return reply.code(errorStatus(err.code)).send(toEnvelope(err));
    }
    const data = this.router.catalogue.models
      .filter((m) => modelAllowed(auth.principal, m))
      .map((id) => ({ id, object: 'model', created: 0, owned_by: 'ai-gateway' }));
    return reply.send({ object: 'list', data });
  }
}
