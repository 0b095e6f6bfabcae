// Registers the public OpenAI-compatible routes directly on Fastify, so the hot path skips Nest's
// per-request pipeline (guards, pipes, interceptors). Nest still owns modules, DI, health and Swagger.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { UsageEndpoint } from '@gw/contracts';
import type { FastifyInstance } from 'fastify';
import { InferenceHandler } from '../proxy/inference.handler.js';
import { ModelsHandler } from '../proxy/models.handler.js';

const ROUTES: [string, UsageEndpoint][] = [
  ['/v1/chat/completions', 'chat.completions'],
  ['/v1/completions', 'completions'],
  ['/v1/embeddings', 'embeddings'],
  ['/v1/generate', 'generate'],
];

@Injectable()
export class GatewayRoutes implements OnModuleInit {
  constructor(
    private readonly host: HttpAdapterHost,
    private readonly inference: InferenceHandler,
    private readonly models: ModelsHandler,
  ) {}

  onModuleInit() {
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    for (const [path, endpoint] of ROUTES) {
      fastify.post(path, (req, reply) => this.inference.handle(endpoint, req, reply, req.body));
    }
    fastify.get('/v1/models', (req, reply) => this.models.handle(req, reply));
  }
}
