// The wire format every internal NATS caller already speaks, kept under Nest's transport: a request is the
// bare JSON payload of its subject's contract (no {pattern, data, id} envelope), a reply is
// `{ok: true, data}` or `{ok: false, error}`, an event is the bare JSON payload of its contract.
import {
  apiError,
  type ApiError,
  parseEvent,
  parseInput,
  RpcRequests,
  type Result,
  type RpcReply,
} from '@gw/contracts';
import type {
  Deserializer,
  IncomingResponse,
  OutgoingResponse,
  ReadPacket,
  Serializer,
} from '@nestjs/microservices';

type NatsMsgLike = { data: Uint8Array; subject: string; reply?: string };

const decoder = new TextDecoder();
export function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}

const isApiError = (e: unknown): e is ApiError =>
  !!e &&
  typeof e === 'object' &&
  typeof (e as ApiError).code === 'string' &&
  typeof (e as ApiError).message === 'string';

/** What arrived, checked against the subject's contract before any handler sees it. */
export type ContractPacket =
  | { pattern: string; id: string; data: unknown }
  | { pattern: string; id?: undefined; data: unknown }
  | { pattern: string; id?: string; data?: undefined; invalid: ApiError };

/**
 * Server side. Requests (a message with a reply subject) are parsed with their subject's request schema;
 * events with the schema of the subject they were published on (a wildcard subscription sees several).
 */
export class ContractDeserializer implements Deserializer<NatsMsgLike, ContractPacket> {
  deserialize(msg: NatsMsgLike, options?: { channel?: string; replyTo?: string }): ContractPacket {
    const pattern = options?.channel ?? msg.subject;
    const body = parseJson(msg.data);
    if (msg.reply) {
      const schema = (RpcRequests as Record<string, Parameters<typeof parseInput>[0]>)[pattern];
      if (!schema)
        return {
          pattern,
          id: msg.reply,
          invalid: apiError('invalid_request', `Unknown subject ${pattern}.`),
        };
      const parsed = parseInput(schema, body);
      return parsed.ok
        ? { pattern, id: msg.reply, data: parsed.value }
        : { pattern, id: msg.reply, invalid: parsed.error };
    }
    const event = parseEvent(msg.subject, body);
    return event === undefined
      ? { pattern, invalid: apiError('invalid_request', `Not a valid ${msg.subject} event.`) }
      : { pattern, data: event };
  }
}

/** A handler's Result (or a thrown error) as the reply callers read. */
export function replyOf(packet: { response?: unknown; err?: unknown }): RpcReply<unknown> {
  if (packet.err !== undefined && packet.err !== null)
    return { ok: false, error: isApiError(packet.err) ? packet.err : apiError('internal_error') };
  const r = packet.response as Result<unknown> | undefined;
  if (r && typeof r === 'object' && 'ok' in r)
    return r.ok
      ? { ok: true, data: r.value }
      : { ok: false, error: isApiError(r.error) ? r.error : apiError('internal_error') };
  return { ok: false, error: apiError('internal_error') };
}

/** Server side: Nest's response packet → `{ok, data}` / `{ok, error}` JSON. */
export class RpcReplySerializer implements Serializer<OutgoingResponse, { data: string }> {
  serialize(packet: OutgoingResponse): { data: string } {
    return { data: JSON.stringify(replyOf(packet)) };
  }
}

/** Client side: a request or event is sent as its bare payload. */
export class BarePayloadSerializer implements Serializer<ReadPacket, { data: string }> {
  serialize(packet: ReadPacket): { data: string } {
    return { data: JSON.stringify(packet.data ?? null) };
  }
}

/** Thrown (as the observable's error) by the typed client for `{ok: false, error}` replies. */
export class RemoteError extends Error {
  constructor(readonly error: ApiError) {
    super(`${error.code}: ${error.message}`);
    this.name = 'RemoteError';
  }
}

/** Client side: `{ok, data}` → the response; `{ok: false, error}` → a RemoteError. */
export class RpcReplyDeserializer implements Deserializer<NatsMsgLike, IncomingResponse> {
  deserialize(msg: NatsMsgLike): IncomingResponse {
    const reply = parseJson(msg.data) as RpcReply<unknown> | undefined;
    if (reply && typeof reply === 'object' && reply.ok === true)
      return { id: undefined as unknown as string, response: reply.data, isDisposed: true };
    const error =
      reply && typeof reply === 'object' && reply.ok === false && isApiError(reply.error)
        ? reply.error
        : apiError('internal_error', 'The reply was not understood.');
    return { id: undefined as unknown as string, err: new RemoteError(error), isDisposed: true };
  }
}
