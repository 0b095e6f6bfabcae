// The web console's built files at /console/ (CONSOLE_DIR), through @fastify/static: hashed assets cached for
// a year, the page itself never, and headers that keep the page from being framed, sniffed or running any
// script but its own.
import { relative, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** Only the console's own files: no inline script or style, no other origin, never in a frame. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export async function serveConsole(app: NestFastifyApplication, dir: string): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.register(fastifyStatic, {
    root: dir,
    prefix: '/console/',
    index: ['index.html'],
    dotfiles: 'deny',
    cacheControl: false,
    etag: true,
    lastModified: false,
    setHeaders: (reply, path) => {
      reply.headers({
        // Judged inside the console's folder (the folder's own path may hold "assets" too).
        'cache-control': relative(dir, path).startsWith(`assets${sep}`)
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
        'content-security-policy': CONSOLE_CSP,
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
      });
    },
  });
  // The bare path is where people type it: to the page, whose relative asset paths need the slash.
  fastify.get('/console', (_req, reply) => reply.redirect('/console/', 301));
}
