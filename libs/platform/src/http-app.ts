// Builds and starts a service's Nest app on Fastify: envelope errors, Swagger, metrics, request logs,
// graceful shutdown. `bootstrap()` functions of the apps call this, so tests start the real app.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { apiError, toEnvelope } from '@gw/contracts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { clientErrorHandler } from './client-error.js';
import { ApiExceptionFilter } from './exception-filter.js';
import { NestPinoLogger } from './logger.js';
import { type DirectHandlers, startNatsHandlers } from './nats-handlers.js';
import { collectProcessMetrics, histogram } from './metrics.js';
import { guardProcess } from './process-guard.js';
import { Readiness } from './readiness.js';

export interface HttpAppOptions {
  name: string;
  logger: Logger;
  port: number;
  host: string;
  bodyLimit?: number;
  swagger?: {
    title: string;
    description: string;
    version?: string;
    bearer?: string;
    /** Paths served outside Nest controllers (plain Fastify routes), documented by hand. */
    extraPaths?: Record<string, unknown>;
  };
  /** Handles some requests before Fastify sees them (hot paths); the rest go to Fastify/Nest. */
  preRouter?: PreRouter;
  /** Log each request (management APIs); hot paths keep their own lean logging. */
  logRequests?: boolean;
  /** Proxies (addresses or CIDRs) whose X-Forwarded-For sets `request.ip`; none: the socket address. */
  trustedProxies?: string[];
  /** Runs the app's @MessagePattern / @EventPattern handlers on NATS (needs natsProvider), and `direct` ones. */
  natsHandlers?: boolean | { direct: DirectHandlers };
}

/**
 * A hook in front of Fastify: `handle` returns true when it took the request. Filled in by a provider once
 * the app's dependencies exist, so the server can be created before them.
 */
export class PreRouter {
  handle?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function createHttpApp(module: any, opts: HttpAppOptions): Promise<NestFastifyApplication> {
  collectProcessMetrics();
  const adapter = new FastifyAdapter({
    bodyLimit: opts.bodyLimit ?? 1_048_576,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    trustProxy: opts.trustedProxies?.length ? opts.trustedProxies : false,
    clientErrorHandler,
    // A URL the router cannot decode (`/%zz`) is refused in the envelope too, with the request id.
    frameworkErrors: (err: Error, req: { id: string }, reply: FastifyReply) => {
      void reply
        .status(400)
        .header('content-type', 'application/json')
        .header('x-request-id', req.id)
        .send(toEnvelope(apiError('invalid_request', `The request is malformed: ${err.message}`)));
    },
    // No Express-style middleware anywhere: skip the engine that would run on every request.
    skipMiddie: true,
    ...(opts.preRouter
      ? {
          serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
            createServer((req, res) => {
              if (!opts.preRouter!.handle?.(req, res)) handler(req, res);
            }),
        }
      : {}),
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: new NestPinoLogger(opts.logger.child({ context: 'nest' })),
    abortOnError: false,
    // Fastify's own JSON parser, wrapped by acceptEmptyJson below, instead of Nest's copy of it.
    bodyParser: false,
  });
  app.useGlobalFilters(new ApiExceptionFilter(opts.logger));
  app.enableShutdownHooks();

  const fastify = app.getHttpAdapter().getInstance();
  acceptEmptyJson(fastify);
  const duration = histogram('http_request_duration_seconds', 'HTTP request duration', [
    'service',
    'method',
    'route',
    'status',
  ]);
  fastify.addHook('onSend', (req, reply, payload, done) => {
    void reply.header('x-request-id', req.id);
    done(null, payload);
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions?.url ?? 'unknown';
    const seconds = reply.elapsedTime / 1000;
    duration.observe({ service: opts.name, method: req.method, route, status: reply.statusCode }, seconds);
    if (
      opts.logRequests &&
      !route.startsWith('/healthz') &&
      !route.startsWith('/readyz') &&
      route !== '/metrics'
    ) {
      opts.logger.info(
        {
          reqId: req.id,
          method: req.method,
          route,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        'request',
      );
    }
    done();
  });

  if (opts.swagger) {
    const builder = new DocumentBuilder()
      .setTitle(opts.swagger.title)
      .setDescription(opts.swagger.description)
      .setVersion(opts.swagger.version ?? '1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: opts.swagger.bearer });
    const doc = SwaggerModule.createDocument(app, builder.build());
    Object.assign(doc.paths, opts.swagger.extraPaths ?? {});
    SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs-json' });
  }

  if (opts.natsHandlers)
    await startNatsHandlers(
      app,
      opts.logger,
      opts.natsHandlers === true ? undefined : opts.natsHandlers.direct,
    );
  await app.listen(opts.port, opts.host);
  return app;
}

/**
 * `Content-Type: application/json` with no body (what many HTTP clients send on DELETE) reads as no body
 * instead of a 400; anything else goes to Fastify's own parser (size limit, prototype-poisoning checks).
 * Routes that need a body still refuse a missing one through their schema.
 */
function acceptEmptyJson(fastify: FastifyInstance) {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body);
    if (text === '') return done(null, undefined);
    void parse(req, text, done);
  });
}

/** The loopback URL an app listens on (the real port when it was started on port 0). */
export function listeningUrl(app: NestFastifyApplication): string {
  const address = app.getHttpServer().address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/**
 * Process-level errors are logged and counted (guardProcess). SIGTERM: readiness turns false first, then Nest's shutdown hooks close the server (open requests and
 * streams may finish) and the connections (flushing what they hold). Past `graceMs` the process exits anyway.
 */
export function handleSignals(app: NestFastifyApplication, logger: Logger, graceMs = 30_000) {
  guardProcess(logger);
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.warn('shutdown grace period over: exiting');
      process.exit(0);
    }, graceMs).unref();
    app.get(Readiness, { strict: false }).drain();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
