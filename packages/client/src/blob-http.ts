/**
 * The relay's attachment blob routes (`ATTACHMENT_UPLOAD_ROUTES`) over a `fetch` that carries
 * bytes: chunks go up as `application/octet-stream` bodies, ranges come down as bytes. Kept
 * apart from `RelayHttp`, whose injected fetch carries text only. JSON answers are checked
 * against their schemas like every other relay answer.
 */
import { ROUTES, conforms, limits, type UploadResponse } from '@parley/api';
import { toBase64, utf8Decode, utf8Encode } from '@parley/bytes';
import { ClientError } from './errors.js';
import { RelayCallError, type DeviceCredentials, type RelayErrorBody } from './http.js';

type Schema = Parameters<typeof conforms>[0];

/** The part of a fetch `Response` used for bytes. */
export interface BinaryFetchResponse {
  readonly status: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The part of `fetch` used for bytes (the global `fetch` of Node 20 and browsers fits). */
export type BinaryFetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string | Uint8Array },
) => Promise<BinaryFetchResponse>;

/** The global `fetch`, where the runtime has one. */
export function globalBinaryFetch(): BinaryFetchLike | undefined {
  const f = (globalThis as { fetch?: unknown }).fetch;
  return typeof f === 'function' ? (f as BinaryFetchLike) : undefined;
}

export class BlobHttp {
  constructor(
    readonly baseUrl: string,
    private readonly fetchFn: BinaryFetchLike,
  ) {}

  async #call(
    method: string,
    path: string,
    auth: DeviceCredentials,
    body?: { json: unknown } | { bytes: Uint8Array },
  ): Promise<Uint8Array> {
    const user = `${auth.accountId}.${auth.deviceId}`;
    const headers: Record<string, string> = {
      authorization: `Basic ${toBase64(utf8Encode(`${user}:${auth.secret}`))}`,
    };
    const init: { method: string; headers: Record<string, string>; body?: string | Uint8Array } = {
      method,
      headers,
    };
    if (body !== undefined && 'json' in body) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body.json);
    } else if (body !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      init.body = body.bytes;
    }
    let response: BinaryFetchResponse;
    let bytes: Uint8Array;
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, init);
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (cause) {
      throw new ClientError(
        'UNREACHABLE',
        `the relay at ${this.baseUrl} is unreachable`,
        undefined,
        {
          cause,
        },
      );
    }
    if (response.status >= 200 && response.status < 300) return bytes;
    let error: RelayErrorBody = { code: 'INTERNAL', message: `HTTP ${response.status}` };
    try {
      const parsed = JSON.parse(utf8Decode(bytes)) as { error?: RelayErrorBody };
      if (parsed.error !== undefined) error = parsed.error;
    } catch {
      // keep the generic error
    }
    throw new RelayCallError(error);
  }

  async #json<T>(schema: Schema, bytes: Uint8Array, what: string): Promise<T> {
    let value: unknown;
    try {
      value = JSON.parse(utf8Decode(bytes));
    } catch {
      value = undefined;
    }
    if (!conforms(schema, value))
      throw new ClientError('RELAY_INCONSISTENT', `the relay's answer to ${what} is malformed`);
    return Promise.resolve(value as T);
  }

  async createUpload(auth: DeviceCredentials, size: number): Promise<UploadResponse> {
    const r = ROUTES.createUpload;
    const got = await this.#call(r.method, r.url, auth, { json: { size } });
    return this.#json(r.success.schema, got, 'an upload');
  }

  async putChunk(
    auth: DeviceCredentials,
    attachmentId: string,
    offset: number,
    bytes: Uint8Array,
  ): Promise<UploadResponse> {
    const r = ROUTES.putUploadChunk;
    const path = `/v1/attachments/uploads/${encodeURIComponent(attachmentId)}?offset=${offset}`;
    const got = await this.#call(r.method, path, auth, { bytes });
    return this.#json(r.success.schema, got, 'a chunk');
  }

  async upload(auth: DeviceCredentials, attachmentId: string): Promise<UploadResponse> {
    const r = ROUTES.getUpload;
    const got = await this.#call(
      r.method,
      `/v1/attachments/uploads/${encodeURIComponent(attachmentId)}`,
      auth,
    );
    return this.#json(r.success.schema, got, 'an upload');
  }

  /** Up to `length` bytes of a complete blob from `offset`. */
  async download(
    auth: DeviceCredentials,
    attachmentId: string,
    offset: number,
    length = limits.MAX_BLOB_CHUNK_BYTES,
  ): Promise<Uint8Array> {
    const got = await this.#call(
      ROUTES.downloadBlob.method,
      `/v1/attachments/blobs/${encodeURIComponent(attachmentId)}?offset=${offset}&length=${length}`,
      auth,
    );
    if (got.length > length)
      throw new ClientError('RELAY_INCONSISTENT', 'the relay sent more than was asked for');
    return got;
  }
}
