// Builds and starts a service's Nest app on Fastify: envelope errors, Swagger, metrics, request logs,
// graceful shutdown. `bootstrap()` functions of the apps call this, so tests start the real app.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { apiError, toEnvelope } from '@gw/contracts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { clientErrorHandler } from './client-error.js';
import { ApiExceptionFilter } from './exception-filter.js';
import { AdminModule } from './health.module.js';
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
  /** The admin port: /healthz, /readyz, /metrics and the docs. Never the public port's business. */
  admin: { port: number; host: string };
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
  /** Registers what the app needs on its public Fastify instance before it listens (plugins such as cookies). */
  configure?: (app: NestFastifyApplication) => Promise<void>;
}

/**
 * A hook in front of Fastify: `handle` returns true when it took the request. Filled in by a provider once
 * the app's dependencies exist, so the server can be created before them.
 */
export class PreRouter {
  handle?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

const admins = new WeakMap<NestFastifyApplication, NestFastifyApplication>();

/**
 * The service's app on its public port, and beside it an admin app on `opts.admin` serving the probes, the
 * metrics and the docs. `app.close()` closes both: the admin port once the public server has closed (open
 * requests and streams done), then the shutdown hooks flush and Connections close.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function createHttpApp(module: any, opts: HttpAppOptions): Promise<NestFastifyApplication> {
  if (opts.admin.port > 65535 || (opts.admin.port !== 0 && opts.admin.port === opts.port))
    throw new Error(
      `${opts.name}: ADMIN_PORT ${opts.admin.port} must be a free port other than PORT; set it`,
    );
  collectProcessMetrics();
  const adapter = new FastifyAdapter({
    ...fastifyOptions(),
    bodyLimit: opts.bodyLimit ?? 1_048_576,
    trustProxy: opts.trustedProxies?.length ? opts.trustedProxies : false,
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
  // No enableShutdownHooks(): handleSignals owns SIGTERM, once, so no second handler races the flush.
  instrument(app, opts.name, opts.logger, opts.logRequests);
  acceptEmptyJson(app.getHttpAdapter().getInstance());
  await opts.configure?.(app);

  // Probes and scrapes are small and quick: a client trickling a request cannot hold a shutdown open.
  const admin = await NestFactory.create<NestFastifyApplication>(
    AdminModule.forRoot(app.get(Readiness)),
    new FastifyAdapter({ ...fastifyOptions(), bodyLimit: 1024, requestTimeout: 10_000 }),
    { logger: new NestPinoLogger(opts.logger.child({ context: 'nest-admin' })), abortOnError: false },
  );
  instrument(admin, `${opts.name}-admin`, opts.logger, false);
  let adminClosed: Promise<void> | undefined;
  const closeAdmin = () => (adminClosed ??= admin.close());
  // Closing the public server closes the admin one (Nest's app proxy ignores assignments, so app.close cannot
  // be wrapped): probes answer until the public port has drained.
  app.getHttpAdapter().getInstance().addHook('onClose', closeAdmin);
  if (opts.swagger) {
    const builder = new DocumentBuilder()
      .setTitle(opts.swagger.title)
      .setDescription(opts.swagger.description)
      .setVersion(opts.swagger.version ?? '1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: opts.swagger.bearer });
    const doc = SwaggerModule.createDocument(app, builder.build());
    Object.assign(doc.paths, opts.swagger.extraPaths ?? {});
    SwaggerModule.setup('docs', admin, doc, { jsonDocumentUrl: 'docs-json' });
  }

  if (opts.natsHandlers)
    await startNatsHandlers(
      app,
      opts.logger,
      opts.natsHandlers === true ? undefined : opts.natsHandlers.direct,
    );
  await admin.listen(opts.admin.port, opts.admin.host);
  try {
    await app.listen(opts.port, opts.host);
  } catch (err) {
    await closeAdmin();
    throw err;
  }
  admins.set(app, admin);
  return app;
}

/** What both ports share: request ids, the error envelope for malformed requests, no middleware engine. */
function fastifyOptions() {
  return {
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
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
  };
}

const duration = () =>
  histogram('http_request_duration_seconds', 'HTTP request duration', [
    'service',
    'method',
    'route',
    'status',
  ]);

/** The envelope filter, the request id on every answer, the duration histogram and (optionally) request logs. */
function instrument(app: NestFastifyApplication, service: string, logger: Logger, logRequests?: boolean) {
  app.useGlobalFilters(new ApiExceptionFilter(logger));
  const fastify = app.getHttpAdapter().getInstance();
  const seconds = duration();
  fastify.addHook('onSend', (req, reply, payload, done) => {
    void reply.header('x-request-id', req.id);
    done(null, payload);
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions?.url ?? 'unknown';
    seconds.observe(
      { service, method: req.method, route, status: reply.statusCode },
      reply.elapsedTime / 1000,
    );
    if (logRequests && route !== '/healthz') {
      logger.info(
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

/** The admin port's URL on loopback (tests read /metrics, /readyz and /docs there). */
export function adminUrl(app: NestFastifyApplication): string {
  const admin = admins.get(app);
  if (!admin) throw new Error('not an app made by createHttpApp');
  return listeningUrl(admin);
}

/** After SHUTDOWN_GRACE_MS the open connections are cut; the process exits at most this much later (default). */
const FLUSH_AFTER_GRACE_MS = 15_000;
let stopping = false;

/**
 * The one SIGTERM/SIGINT handler of a process (a second signal is logged and ignored). Process-level errors
 * are logged and counted (guardProcess). In order: /readyz turns 503 at once; after `delayMs` (load balancers
 * notice) the public port closes (new connections refused, requests on open ones answered 503); open requests
 * and streams get `graceMs` to finish, then are cut (what they used is still recorded); shutdown hooks flush
 * (usage acks, the spool, batches); connections close; exit 0. Exit 1 if a step fails, or `flushMs` after the
 * grace if something hangs.
 */
export function handleSignals(
  app: NestFastifyApplication,
  logger: Logger,
  {
    graceMs,
    delayMs,
    flushMs = FLUSH_AFTER_GRACE_MS,
  }: {
    graceMs: number;
    delayMs: number;
    /** How long the work cut at the grace may take to be recorded and flushed before the process exits anyway. */
    flushMs?: number;
  },
) {
  guardProcess(logger);
  const stop = async (signal: string) => {
    if (stopping) return logger.warn({ signal }, 'already shutting down');
    stopping = true;
    const readiness = app.get(Readiness, { strict: false });
    readiness.drain();
    logger.info({ signal, delayMs, graceMs }, 'shutting down: not ready');
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    readiness.refuse();
    const server = app.getHttpServer() as Server;
    // A keep-alive connection whose last request ends while closing would otherwise hold close() open until its
    // client leaves: close each as soon as it is idle.
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const cut = setTimeout(() => {
      logger.warn('shutdown grace period over: cutting open connections');
      server.closeAllConnections();
      (admins.get(app)?.getHttpServer() as Server | undefined)?.closeAllConnections();
    }, graceMs);
    setTimeout(() => {
      logger.error('shutdown did not finish: exiting');
      process.exit(1);
    }, graceMs + flushMs).unref();
    try {
      await app.close();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    } finally {
      clearInterval(idle);
      clearTimeout(cut);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
