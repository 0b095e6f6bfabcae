import { apiError, type ApiError, type ErrorCode, type Result } from '@gw/contracts';

/** Carries a catalogue error to the HTTP boundary. Services return Result values; controllers unwrap. */
export class ApiException extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
  static of(code: ErrorCode, message?: string, param: string | null = null): ApiException {
    return new ApiException(apiError(code, message, param));
  }
}

export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new ApiException(result.error);
  return result.value;
}
