/**
 * What every part of the client shares: the primitives, the store, the relay transport, the
 * clock, and this device's account as stored. It holds no state of its own: every part reads
 * the account from the store each time, so a process may stop at any await and another goes on.
 */
import { deserializePublicKey, type ProtocolContext, type PublicKey } from '@parley/protocol';
import { toHex } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { BlobHttp, globalBinaryFetch, type BinaryFetchLike } from './blob-http.js';
import { ClientError } from './errors.js';
import type { DeviceCredentials, RelayHttp } from './http.js';
import { protocolStores, records, type AccountRecord } from './state.js';
import type { StorageBackend } from './storage.js';
import type { KtPolicy } from './transparency.js';
import type { KtTransport } from './transparency-transport.js';

const ID_BYTES = 16;

export interface ClientOptions {
  readonly backend: StorageBackend;
  readonly primitives: Primitives;
  readonly relay: RelayHttp;
  /** A fetch that carries bytes, for attachment blobs; default: the runtime's global `fetch`. */
  readonly binaryFetch?: BinaryFetchLike;
  /** Clock, ms since the epoch. */
  readonly now?: () => number;
  /**
   * Key transparency (`transparency.ts`): `if-available` by default (verify once the relay shows
   * a log, then always); the transport defaults to the relay's KT routes over global `fetch`.
   */
  readonly keyTransparency?: {
    readonly policy?: KtPolicy;
    readonly transport?: KtTransport;
  };
}

export class ClientContext {
  readonly p: Primitives;
  readonly db: StorageBackend;
  readonly relay: RelayHttp;
  readonly now: () => number;
  readonly #binaryFetch: BinaryFetchLike | undefined;

  constructor(options: ClientOptions) {
    this.p = options.primitives;
    this.db = options.backend;
    this.relay = options.relay;
    this.now = options.now ?? Date.now;
    this.#binaryFetch = options.binaryFetch ?? globalBinaryFetch();
  }

  /** The relay's attachment blob routes. */
  blobs(): BlobHttp {
    if (this.#binaryFetch === undefined)
      throw new ClientError('MISUSE', 'no fetch for attachments: pass binaryFetch');
    return new BlobHttp(this.relay.baseUrl, this.#binaryFetch);
  }

  /** This device's account, or undefined before `register`. */
  account(): AccountRecord | undefined {
    return records.account(this.db);
  }

  requireAccount(): AccountRecord {
    const a = this.account();
    if (a === undefined) throw new ClientError('MISUSE', 'not registered: run register first');
    return a;
  }

  auth(a: AccountRecord = this.requireAccount()): DeviceCredentials {
    return { accountId: a.accountId, deviceId: a.deviceId, secret: a.secret };
  }

  protocol(a: AccountRecord): ProtocolContext {
    return {
      primitives: this.p,
      stores: protocolStores(this.db, () => this.requireAccount()),
      localAddress: { name: a.accountId, deviceId: a.deviceId },
    };
  }

  /** A fresh random id (message ids, client message ids). */
  id(): string {
    return toHex(this.p.randomBytes(ID_BYTES));
  }
}

/** The key body of a serialized (33-byte) public key. */
export function keyBody(serialized: Uint8Array): PublicKey {
  return deserializePublicKey(serialized);
}
