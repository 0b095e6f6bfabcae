// The typed client for internal services: Nest's ClientProxy over NATS, speaking the wire format of
// wire.ts, with subjects, payloads and reply types from libs/contracts. Register it with
// `ClientsModule.register([gatewayNatsClient(options)])` and inject it with `@Inject(GATEWAY_NATS)`; connect
// as your own NATS identity (user and password, nkey or creds; the inbox prefix the server allows you).
import type { RpcRequest, RpcResponses, RpcSubject } from '@gw/contracts';
import type { Type } from '@nestjs/common';
import {
  ClientNats,
  type ClientProviderOptions,
  type ClientProxy,
  type NatsOptions,
} from '@nestjs/microservices';
import { firstValueFrom, type Observable, timeout } from 'rxjs';
import { BarePayloadSerializer, RpcReplyDeserializer } from './wire.js';

export const GATEWAY_NATS = Symbol('GATEWAY_NATS');

export type InternalClientOptions = Omit<NonNullable<NatsOptions['options']>, 'serializer' | 'deserializer'>;

export class InternalNatsClient extends ClientNats {
  constructor(options: InternalClientOptions) {
    super({ ...options, serializer: new BarePayloadSerializer(), deserializer: new RpcReplyDeserializer() });
  }

  /** The reply's data; a `{ok: false}` reply errors the observable with a RemoteError (its `error`). */
  override send<S extends RpcSubject>(subject: S, payload: RpcRequest<S>): Observable<RpcResponses[S]>;
  override send<R, I>(pattern: unknown, data: I): Observable<R>;
  override send(pattern: unknown, data: unknown): Observable<unknown> {
    return super.send(pattern, data);
  }

  /** `send` as a promise, with a deadline. */
  call<S extends RpcSubject>(subject: S, payload: RpcRequest<S>, timeoutMs = 5000): Promise<RpcResponses[S]> {
    return firstValueFrom(this.send(subject, payload).pipe(timeout(timeoutMs)));
  }
}

/** For `ClientsModule.register([...])`: the typed client under GATEWAY_NATS. */
export function gatewayNatsClient(options: InternalClientOptions): ClientProviderOptions {
  // Nest types a custom class as a ClientProxy of string statuses; ClientNats's are NatsStatus values.
  return { name: GATEWAY_NATS, customClass: InternalNatsClient as unknown as Type<ClientProxy>, options };
}
