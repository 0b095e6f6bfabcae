import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable } from '@nestjs/common';
import { unwrap } from '@gw/platform';
import type { FastifyRequest } from 'fastify';
import { AccessService } from './access.service.js';
import type { Caller } from './caller.js';

type WithCaller = FastifyRequest & { caller?: Caller };

/** Resolves the bearer token of every management route into a Caller, or answers the auth error. */
@Injectable()
export class CallerGuard implements CanActivate {
  constructor(private readonly access: AccessService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<WithCaller>();
    const origin = { via: 'rest' as const, requestId: String(req.id), address: req.ip ?? null };
    req.caller = unwrap(await this.access.fromBearer(req.headers.authorization, origin));
    return true;
  }
}

export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<WithCaller>().caller;
  if (!caller) throw new Error('CallerGuard did not run on this route');
  return caller;
});
