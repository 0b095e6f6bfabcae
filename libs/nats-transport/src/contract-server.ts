// Nest's NATS server strategy for the services' @MessagePattern / @EventPattern handlers, on the wire format
// of wire.ts: every message is checked against its subject's contract before a handler sees it (an invalid
// request is answered `invalid_request`, an invalid event is reported and dropped), each handler subscribes
// with its own queue group (`@MessagePattern(subject, { queue })`), and a stop answers what is in hand.
import type { NatsConnection, Msg, Subscription } from '@nats-io/transport-node';
import type { ApiError, Result, RpcPayload, RpcResponses, RpcSubject } from '@gw/contracts';
import { NatsContext, ServerNats, type NatsOptions } from '@nestjs/microservices';
import { ContractDeserializer, type ContractPacket, replyOf, RpcReplySerializer } from './wire.js';

export interface ContractServerOptions {
  /** The process's existing connection (its identity, its reconnect handling); closed by its owner. */
  connection?: () => NatsConnection;
  /** Or connect with these options (the server then owns and drains the connection). */
  connect?: Omit<NonNullable<NatsOptions['options']>, 'serializer' | 'deserializer'>;
  /** Told about each message dropped or refused for not matching its contract. */
  onInvalid?: (channel: string, subject: string, error: ApiError) => void;
  /**
   * Request handlers served without Nest's handler chain: the same contract check, reply format, queue group
   * and draining, but a plain function call. For the key-verification hot path only, where the bench showed
   * Nest's per-message cost past 10 % (docs/decisions.md); asked for once the app is initialised.
   */
  direct?: () => readonly DirectHandler[];
}

/** A request subject answered by a plain function (see `direct`). */
export interface DirectHandler {
  subject: string;
  queue?: string;
  handle: (payload: never) => Promise<Result<unknown>> | Result<unknown>;
}

/** A typed DirectHandler: the payload after its contract's parse, the reply its subject's type. */
export const directHandler = <S extends RpcSubject>(
  subject: S,
  queue: string,
  handle: (payload: RpcPayload<S>) => Promise<Result<RpcResponses[S]>>,
): DirectHandler => ({ subject, queue, handle: handle as DirectHandler['handle'] });

export class ContractNatsServer extends ServerNats {
  private readonly own: Subscription[] = [];
  /** Requests being answered: a stop lets them reply before the connection goes. */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly contract: ContractServerOptions) {
    super({
      ...(contract.connect ?? {}),
      serializer: new RpcReplySerializer(),
      deserializer: new ContractDeserializer(),
    });
  }

  override async createNatsClient() {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest types its own Client alias of the same class
    return (this.contract.connection?.() ?? (await super.createNatsClient())) as any;
  }

  override bindEvents(client: NatsConnection) {
    const subscribe = (
      channel: string,
      queue: string | undefined,
      handle: (msg: Msg) => Promise<unknown>,
    ) => {
      const sub = client.subscribe(channel, {
        queue,
        callback: (err, msg) => {
          if (err) return this.logger.error(err);
          const done = handle(msg).catch((e: unknown) => this.handleError(String(e)));
          this.inflight.add(done);
          void done.finally(() => this.inflight.delete(done));
        },
      });
      this.own.push(sub);
    };
    for (const [channel, handler] of this.getHandlers())
      subscribe(channel, handler.extras?.queue as string | undefined, (msg) =>
        this.handleMessage(channel, msg),
      );
    for (const d of this.contract.direct?.() ?? [])
      subscribe(d.subject, d.queue, (msg) => this.handleDirect(d, msg));
  }

  private async handleDirect(d: DirectHandler, msg: Msg) {
    const packet = (this.deserializer as ContractDeserializer).deserialize(msg, {
      channel: d.subject,
      kind: 'request',
    });
    if ('invalid' in packet) return this.refuse(d.subject, msg, packet);
    let reply;
    try {
      reply = replyOf({ response: await d.handle(packet.data as never) });
    } catch (err) {
      this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err), d.subject);
      reply = replyOf({ err });
    }
    msg.respond(JSON.stringify(reply));
  }

  override async handleMessage(channel: string, msg: Msg): Promise<unknown> {
    const ctx = new NatsContext([msg.subject, msg.headers]);
    const handler = this.getHandlerByPattern(channel);
    const packet = (this.deserializer as ContractDeserializer).deserialize(msg, {
      channel,
      kind: handler?.isEventHandler ? 'event' : 'request',
    });
    if ('invalid' in packet) return this.refuse(channel, msg, packet);
    if (packet.id === undefined)
      return this.handleEvent(channel, { pattern: channel, data: packet.data }, ctx);
    const publish = this.getPublisher(msg, packet.id, ctx);
    if (!handler) return publish({ err: new Error(`no handler for ${channel}`) });
    let answered!: () => void;
    const replied = new Promise<void>((resolve) => (answered = resolve));
    await this.handleRequest(
      ctx,
      async () => this.transformToObservable(await handler(packet.data, ctx)),
      (response: unknown) => {
        answered();
        return publish(response);
      },
    );
    return replied;
  }

  /** Reported; a request at an inbox is answered with the refusal, anything else is dropped unanswered. */
  private refuse(channel: string, msg: Msg, packet: ContractPacket & { invalid: ApiError }) {
    this.contract.onInvalid?.(channel, msg.subject, packet.invalid);
    if (packet.id !== undefined) msg.respond(JSON.stringify({ ok: false, error: packet.invalid }));
  }

  override async close() {
    // Take no new messages, answer the ones in hand; the connection itself is its owner's to close.
    await Promise.all(this.own.map((s) => s.drain().catch(() => undefined)));
    await Promise.all(this.inflight);
    if (!this.contract.connection) await super.close();
  }
}
