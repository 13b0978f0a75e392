import { type DeviceMismatch, type ErrorCode } from '@parley/api';
import { BytesError } from '@parley/bytes';
import { StorageUnavailableError } from './storage/types.js';

/**
 * The one error class of the relay. `code` is from the API's registry, which fixes the HTTP
 * status; `message` is safe to show a client (no identifiers, keys or bodies).
 */
export class RelayError extends Error {
  override readonly name = 'RelayError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?:
      | { readonly accounts: readonly DeviceMismatch[] }
      | { readonly epoch: number }
      | { readonly code: string }
      | { readonly received: number },
  ) {
    super(message);
  }
}

/** Maps anything thrown by a handler or by Fastify to a registry code (fail closed: INTERNAL). */
export function classify(error: unknown): { code: ErrorCode; message: string; details?: unknown } {
  if (error instanceof RelayError) {
    return error.details === undefined
      ? { code: error.code, message: error.message }
      : { code: error.code, message: error.message, details: error.details };
  }
  if (error instanceof StorageUnavailableError)
    return { code: 'UNAVAILABLE', message: 'storage unavailable, retry' };
  if (error instanceof BytesError) return { code: 'INVALID_REQUEST', message: 'invalid encoding' };
  if (typeof error === 'object' && error !== null) {
    const e = error as {
      code?: unknown;
      validation?: unknown;
      message?: unknown;
      statusCode?: unknown;
    };
    if (e.validation !== undefined) {
      return {
        code: 'INVALID_REQUEST',
        message: typeof e.message === 'string' ? e.message : 'invalid request',
      };
    }
    switch (e.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return { code: 'BODY_TOO_LARGE', message: 'body too large' };
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'unsupported content type' };
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return { code: 'MALFORMED_JSON', message: 'malformed JSON' };
    }
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return { code: 'INVALID_REQUEST', message: 'invalid request' };
    }
  }
  return { code: 'INTERNAL', message: 'internal error' };
}
