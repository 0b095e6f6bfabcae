import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { metricsRegistry } from './metrics.js';
import { Readiness } from './readiness.js';

/** The public port's only probe: a plain answer, no dependency details (those are on the admin port). */
@ApiExcludeController()
@Controller()
export class PublicHealthController {
  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }
}

/** The admin port: liveness, readiness with each dependency's state, Prometheus metrics. */
@ApiExcludeController()
@Controller()
export class AdminHealthController {
  constructor(private readonly readiness: Readiness) {}

  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res() reply: FastifyReply) {
    const report = await this.readiness.report();
    return reply.status(report.ready ? 200 : 503).send(report);
  }

  @Get('metrics')
  async metrics(@Res() reply: FastifyReply) {
    return reply.header('content-type', metricsRegistry.contentType).send(await metricsRegistry.metrics());
  }
}
