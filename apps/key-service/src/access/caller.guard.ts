import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  Optional,
} from '@nestjs/common';
import { unwrap } from '@gw/platform';
import type { FastifyRequest } from 'fastify';
import { ConsoleSessions } from '../console-auth/sessions.js';
import { callerOfSession } from '../console-auth/session-caller.js';
import { AccessService } from './access.service.js';
import { OwnersRepository } from './owners.repository.js';
import type { Caller } from './caller.js';

type WithCaller = FastifyRequest & { caller?: Caller };

/**
 * Resolves every management call into a Caller, or answers the auth error: the bearer token when there is one,
 * otherwise the console's session cookie (when console sign-in is configured).
 */
@Injectable()
export class CallerGuard implements CanActivate {
  constructor(
    private readonly access: AccessService,
    private readonly owners: OwnersRepository,
    @Optional() private readonly sessions?: ConsoleSessions,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<WithCaller>();
    const origin = { via: 'rest' as const, requestId: String(req.id), address: req.ip ?? null };
    const bySession =
      !req.headers.authorization && this.sessions && req.cookies?.[this.sessions.cookies.session];
    req.caller = unwrap(
      bySession
        ? await callerOfSession(this.sessions!, this.owners, req, origin)
        : await this.access.fromBearer(req.headers.authorization, origin),
    );
    return true;
  }
}

export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<WithCaller>().caller;
  if (!caller) throw new Error('CallerGuard did not run on this route');
  return caller;
});
