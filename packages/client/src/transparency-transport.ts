/**
 * How KT queries reach the log: through the relay (`GET /v1/kt/config`, `POST /v1/kt/:operation`),
 * bytes both ways. Relay errors become the SDK's `KT_*` codes; a log that does not hold a label
 * is `KT_NOT_IN_LOG` (a new account is published with the log's next entry, once a minute).
 */
import { KT_ROUTES, type KtOperation } from '@parley/api';
import { toBase64, utf8Decode, utf8Encode } from '@parley/bytes';
import { limits as ktLimits } from '@parley/keytrans';
import { ClientError, describeAnswer, type RelayAnswer } from './errors.js';
import type { DeviceCredentials } from './http.js';

export interface KtTransport {
  /** The log's Configuration bytes, or undefined when the relay has no log. */
  config(auth: DeviceCredentials): Promise<Uint8Array | undefined>;
  /** The log's answer to a query (`what`: the label, described, for error messages). */
  query(
    auth: DeviceCredentials,
    operation: KtOperation,
    body: Uint8Array,
    what: string,
  ): Promise<Uint8Array>;
}

/** The part of a fetch `Response` used here. */
interface BinaryResponse {
  readonly status: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}
/** The part of `fetch` used here (global `fetch` in Node 20 and browsers). */
export type BinaryFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: Uint8Array },
) => Promise<BinaryResponse>;

/** A code as the relay's registry spells them; anything else is not repeated. */
const STABLE_CODE = /^[A-Z][A-Z0-9_]{0,39}$/;

function errorCode(bytes: Uint8Array): { code?: string; detail?: string } {
  try {
    const parsed = JSON.parse(utf8Decode(bytes)) as {
      error?: { code?: unknown; details?: { code?: unknown } };
    };
    const code = parsed.error?.code;
    const detail = parsed.error?.details?.code;
    return {
      ...(typeof code === 'string' && STABLE_CODE.test(code) ? { code } : {}),
      ...(typeof detail === 'string' && STABLE_CODE.test(detail) ? { detail } : {}),
    };
  } catch {
    return {};
  }
}

/** The relay's KT routes over `fetchFn` (default: the global `fetch`). */
export function relayKtTransport(baseUrl: string, fetchFn?: BinaryFetch): KtTransport {
  const f = fetchFn ?? (globalThis as unknown as { fetch: BinaryFetch }).fetch;
  const call = async (
    auth: DeviceCredentials,
    method: string,
    path: string,
    body?: Uint8Array,
  ): Promise<{ status: number; bytes: Uint8Array }> => {
    const user = `${auth.accountId}.${auth.deviceId}`;
    const headers: Record<string, string> = {
      authorization: `Basic ${toBase64(utf8Encode(`${user}:${auth.secret}`))}`,
    };
    if (body !== undefined) headers['content-type'] = 'application/octet-stream';
    let response: BinaryResponse;
    try {
      response = await f(`${baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
    } catch (cause) {
      throw new ClientError('UNREACHABLE', `the relay at ${baseUrl} is unreachable`, undefined, {
        cause,
      });
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > ktLimits.MAX_RESPONSE_BYTES)
      throw new ClientError('KT_PROOF_INVALID', 'the transparency answer is too large');
    return { status: response.status, bytes };
  };
  return {
    async config(auth) {
      const r = await call(auth, 'GET', KT_ROUTES.ktConfig.url);
      if (r.status === 200) return r.bytes;
      const { code } = errorCode(r.bytes);
      if (code === 'KT_UNAVAILABLE' || code === 'NOT_FOUND') return undefined;
      throw new ClientError('RELAY', `the relay refused the log's configuration`, code);
    },
    async query(auth, operation, body, what) {
      const r = await call(auth, 'POST', `/v1/kt/${operation}`, body);
      if (r.status === 200) return r.bytes;
      const { code, detail } = errorCode(r.bytes);
      const answer: RelayAnswer = {
        status: r.status,
        ...(code === undefined ? {} : { code }),
        ...(detail === undefined ? {} : { detail }),
      };
      if (code === 'KT_REFUSED' && detail === 'NOT_FOUND')
        throw new ClientError(
          'KT_NOT_IN_LOG',
          `the ${what} is not in the transparency log yet (the log adds changes once a minute); not sending`,
          code,
          { answer },
        );
      throw new ClientError(
        'KT_UNAVAILABLE',
        `the transparency log did not answer for the ${what} (${describeAnswer(answer)}); cannot verify, not sending`,
        code,
        { answer },
      );
    },
  };
}
