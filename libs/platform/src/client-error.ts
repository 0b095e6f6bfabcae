// Requests Node's HTTP parser refuses (a malformed request line, headers too large, a timeout) never reach a
// route; they are answered here, in the same OpenAI envelope as every other error, with a request id.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { apiError, type ErrorCode, toEnvelope } from '@gw/contracts';

const BY_PARSER_CODE: Record<string, { status: number; code: ErrorCode; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'invalid_request',
    message: 'The request took too long to arrive.',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers_too_large',
    message: 'The request headers are too large.',
  },
};
const MALFORMED = {
  status: 400,
  code: 'invalid_request' as ErrorCode,
  message: 'The request is not valid HTTP.',
};

export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket) {
  // A reset or already closed connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, message } = BY_PARSER_CODE[err.code ?? ''] ?? MALFORMED;
  const body = JSON.stringify(toEnvelope(apiError(code, message)));
  if (!socket.writable) return void socket.destroy();
  // An answer to HEAD has no body, even when the rest of the request was unreadable.
  const head = (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${randomUUID()}\r\nconnection: close\r\n\r\n` +
      (head ? '' : body),
  );
}
