// The wire format every internal NATS caller already speaks, kept under Nest's transport: a request is the
// bare JSON payload of its subject's contract (no {pattern, data, id} envelope), a reply is
// `{ok: true, data}` or `{ok: false, error}`, an event is the bare JSON payload of its contract.
import {
  apiError,
  type ApiError,
  ERROR_CATALOGUE,
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

/** An error of the catalogue, as a handler returns it; anything else (a thrown driver error) is not. */
const isApiError = (e: unknown): e is ApiError =>
  !!e &&
  typeof e === 'object' &&
  Object.getPrototypeOf(e) === Object.prototype &&
  Object.hasOwn(ERROR_CATALOGUE, (e as ApiError).code) &&
  typeof (e as ApiError).message === 'string';

/**
 * A reply subject a requester may give: its own inbox. Anything else is refused unanswered: with
 * `allow_responses` a responder may publish once to whatever reply subject it is handed, so answering
 * `$JS.API.STREAM.PURGE.USAGE` would let any requester purge a stream through the responder.
 */
export const INBOX_REPLY = /^_INBOX\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** What arrived, checked against the subject's contract before any handler sees it. */
export type ContractPacket =
  | { pattern: string; id: string; data: unknown }
  | { pattern: string; id?: undefined; data: unknown }
  | { pattern: string; id?: string; data?: undefined; invalid: ApiError };

/**
 * Server side. What a handler serves decides what arrives: a request is parsed with its subject's request
 * schema and answered only at an inbox; an event with the schema of the subject it was published on (a
 * wildcard subscription sees several), and never answered, whatever reply subject it carries.
 */
export class ContractDeserializer implements Deserializer<NatsMsgLike, ContractPacket> {
  deserialize(msg: NatsMsgLike, options?: { channel?: string; kind?: 'request' | 'event' }): ContractPacket {
    const pattern = options?.channel ?? msg.subject;
    const body = parseJson(msg.data);
    if (options?.kind === 'request') {
      if (!msg.reply || !INBOX_REPLY.test(msg.reply))
        return { pattern, invalid: apiError('invalid_request', 'A request needs an _INBOX reply subject.') };
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

/** A reply as read by a caller: `{ok: true, data}`, or `{ok: false, error}` with a catalogue error, else internal_error. */
export function parseReply(data: Uint8Array): RpcReply<unknown> {
  const reply = parseJson(data) as RpcReply<unknown> | undefined;
  if (reply && typeof reply === 'object' && reply.ok === true && 'data' in reply) return reply;
  if (reply && typeof reply === 'object' && reply.ok === false && isApiError(reply.error)) return reply;
  return { ok: false, error: apiError('internal_error', 'The reply was not understood.') };
}

/** A handler's Result (or a thrown error) as the reply callers read. */
export function replyOf(packet: { response?: unknown; err?: unknown }): RpcReply<unknown> {
  // A thrown error is internal_error, never its details (a driver error carries queries and addresses).
  if (packet.err !== undefined && packet.err !== null)
    return { ok: false, error: apiError('internal_error') };
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
    const reply = parseReply(msg.data);
    return reply.ok
      ? { id: undefined as unknown as string, response: reply.data, isDisposed: true }
      : { id: undefined as unknown as string, err: new RemoteError(reply.error), isDisposed: true };
  }
}
