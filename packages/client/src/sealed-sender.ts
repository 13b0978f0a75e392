/**
 * Sealed sender in the client (issue 18). Sending: when we hold a contact's delivery token (from
 * its profile key), each ciphertext for its devices is wrapped with our sender certificate and
 * sealed to the device's identity key (v1), and posted on the relay's unauthenticated route, so
 * the relay learns the recipient but not the sender. A refused token, a rate limit or a full
 * share of the queue makes the caller fall back to authenticated sending (and say so).
 *
 * Receiving: a sealed envelope names no sender. It is opened with our identity key, the
 * certificate is checked against the trust root pinned at registration (chain, expiry at the
 * envelope's time, that it names the sealing key), and only then does the inner message go
 * through the same checks as any other: the certified device must be in its account's verified
 * list with the certified identity key.
 *
 * State (namespace `sealed-sender`): the pinned trust root and our current certificate. A
 * certificate from the relay is checked before it is stored: a forged, expired or foreign one
 * is `RELAY_INCONSISTENT` and changes nothing.
 */
import { SEALED_SENDER_ROUTES, conforms, limits, schemas, type Envelope } from '@parley/api';
import { constantTimeEqual, fromBase64, toBase64, utf8Decode, utf8Encode } from '@parley/bytes';
import {
  ProtocolError,
  SealedContentType,
  createContent,
  deserializePublicKey,
  parseSenderCertificate,
  sealV1,
  sealedSenderDecryptToContent,
  sealedSenderEncryptContent,
  validateSenderCertificate,
  type PublicKey,
  type SenderCertificate,
} from '@parley/protocol';
import type { ClientContext } from './context.js';
import { ClientError } from './errors.js';
import { RelayCallError, SEALED_FALL_BACK_ON } from './http.js';
import { SENDER_CERTIFICATE_MARGIN_MS } from './limits.js';
import { deviceIdentity, type AccountRecord } from './state.js';
import type { StorageWriter } from './storage.js';

export const SEALED_NS = 'sealed-sender';

/** Inner envelope types (Signal: 2 whisper, 3 prekey). */
const WHISPER = 2;
const PREKEY = 3;

interface StoredCertificate {
  readonly certificate: string;
  readonly expiresAt: number;
}

/** A 1:1 ciphertext for one device, as the authenticated route takes it. */
export interface DirectDestination {
  readonly accountId: string;
  readonly deviceId: number;
  readonly registrationId: number;
  readonly type: number;
  readonly content: string;
}

/** What a sealed envelope turned out to be, once opened and checked. */
export interface Unsealed {
  /** The envelope as if the sender had sent it authenticated (its inner message). */
  readonly envelope: Envelope;
  /** The identity key the certificate names (must be the listed one). */
  readonly certifiedKey: PublicKey;
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- typed read of our own JSON
function get<T>(c: ClientContext, key: string): T | undefined {
  const v = c.db.get(SEALED_NS, key);
  return v === undefined ? undefined : (JSON.parse(utf8Decode(v)) as T);
}
function put(w: StorageWriter, key: string, value: object): void {
  w.put(SEALED_NS, key, utf8Encode(JSON.stringify(value)));
}

export class SealedSender {
  readonly #c: ClientContext;

  constructor(context: ClientContext) {
    this.#c = context;
  }

  /** The pinned trust root, if any. */
  trustRoot(): PublicKey | undefined {
    const pinned = get<{ trustRoot: string }>(this.#c, 'trust-root');
    return pinned === undefined ? undefined : deserializePublicKey(fromBase64(pinned.trustRoot));
  }

  /**
   * Pins the relay's trust root (at registration or linking; for an account made before sealed
   * sender, at first use). Never replaced: a relay that later shows another root is not
   * believed. A relay without sealed sender leaves it unpinned (sealed sending stays off).
   */
  async pinTrustRoot(): Promise<void> {
    const c = this.#c;
    if (this.trustRoot() !== undefined) return;
    let root: string;
    try {
      root = (
        await c.relay.call<{ trustRoot: string }>(
          SEALED_SENDER_ROUTES.getTrustRoot,
          SEALED_SENDER_ROUTES.getTrustRoot.url,
          undefined,
        )
      ).trustRoot;
    } catch (e) {
      if (e instanceof RelayCallError && e.relayCode === 'NOT_FOUND') return;
      throw e;
    }
    try {
      deserializePublicKey(fromBase64(root));
    } catch {
      throw new ClientError('RELAY_INCONSISTENT', 'the relay served a malformed trust root');
    }
    c.db.transact((w) => {
      if (w.get(SEALED_NS, 'trust-root') === undefined) put(w, 'trust-root', { trustRoot: root });
    });
  }

  /**
   * Our sender certificate, fetched again when it nears expiry. The relay's certificate must
   * chain to the pinned root, be valid now, and name this device and its identity key.
   */
  async certificate(a: AccountRecord): Promise<SenderCertificate | undefined> {
    const c = this.#c;
    const root = this.trustRoot();
    if (root === undefined) return undefined;
    const now = c.now();
    const stored = get<StoredCertificate>(c, 'certificate');
    if (stored !== undefined && stored.expiresAt - SENDER_CERTIFICATE_MARGIN_MS > now)
      return parseSenderCertificate(fromBase64(stored.certificate));
    const answer = await c.relay.call<{ certificate: string; expiresAt: number }>(
      SEALED_SENDER_ROUTES.getSenderCertificate,
      SEALED_SENDER_ROUTES.getSenderCertificate.url,
      c.auth(a),
    );
    const bad = (why: string): ClientError =>
      new ClientError('RELAY_INCONSISTENT', `the relay's sender certificate ${why}`);
    let cert: SenderCertificate;
    try {
      cert = parseSenderCertificate(fromBase64(answer.certificate));
      validateSenderCertificate(c.p, cert, root, now);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      throw bad(
        e.code === 'CERTIFICATE_EXPIRED' ? 'has expired' : 'is not signed by the pinned trust root',
      );
    }
    const ours = deviceIdentity(a).publicKey;
    if (
      cert.senderUuid !== a.accountId ||
      cert.senderDeviceId !== a.deviceId ||
      !constantTimeEqual(cert.identityKey, ours)
    )
      throw bad('names another device or key');
    c.db.transact((w) => {
      put(w, 'certificate', { certificate: answer.certificate, expiresAt: cert.expiration });
    });
    return cert;
  }

  /**
   * Seals the ciphertexts for one account's devices and posts them with its delivery token.
   * Returns the relay's timestamp, or undefined when the caller should send authenticated
   * (no certificate, or the relay refused the token, limited us, or the queue's sealed share
   * is full). A `DEVICE_MISMATCH` is thrown as from the authenticated route. The post carries
   * a fresh random id, never the outbox entry's: the copies for our own devices go authenticated
   * under that one, and the same id on both posts would tell the relay who sent the sealed one
   * (receivers deduplicate by the id inside the encrypted content).
   *
   * Posted to our own account (the copies for our other devices), the post also carries one
   * for this device: the relay admits a sealed post only for every device of the account, and
   * leaving this one out would name it. That copy is sealed to our own identity key over random
   * bytes as long as the first copy, and this device drops it on arrival (a certificate naming
   * the receiving device is `SEALED_SENDER_SELF_SEND`, which only our own identity key can make).
   */
  async send(
    a: AccountRecord,
    accountId: string,
    token: Uint8Array,
    destinations: readonly DirectDestination[],
    expiry: { readonly expiresAt?: number } = {},
  ): Promise<number | undefined> {
    const c = this.#c;
    const cert = await this.certificate(a);
    if (cert === undefined) return undefined;
    const ctx = c.protocol(a);
    const sealed = [];
    for (const d of destinations) {
      const content = createContent({
        type: d.type === PREKEY ? SealedContentType.PreKey : SealedContentType.Whisper,
        senderCertificate: cert,
        content: fromBase64(d.content),
      });
      const bytes = await sealedSenderEncryptContent(
        ctx,
        { name: d.accountId, deviceId: d.deviceId },
        content,
      );
      sealed.push({
        deviceId: d.deviceId,
        registrationId: d.registrationId,
        content: toBase64(bytes),
      });
    }
    if (accountId === a.accountId) {
      const us = deviceIdentity(a);
      const filler = createContent({
        type: SealedContentType.Whisper,
        senderCertificate: cert,
        content: c.p.randomBytes(fromBase64(destinations[0]?.content ?? '').length),
      });
      sealed.push({
        deviceId: a.deviceId,
        registrationId: a.registrationId,
        content: toBase64(sealV1(c.p, us, us.publicKey, filler.serialized)),
      });
    }
    try {
      const answer = await c.relay.call<{ serverTimestamp: number }>(
        SEALED_SENDER_ROUTES.sendSealed,
        SEALED_SENDER_ROUTES.sendSealed.url,
        undefined,
        {
          accountId,
          deliveryToken: toBase64(token),
          clientMessageId: c.id(),
          destinations: sealed,
          ...expiry,
        },
      );
      return answer.serverTimestamp;
    } catch (e) {
      if (e instanceof RelayCallError && SEALED_FALL_BACK_ON.includes(e.relayCode ?? ''))
        return undefined;
      throw e;
    }
  }

  /**
   * Opens a sealed envelope: our identity key opens it, the certificate must name the sealing
   * key, chain to the pinned root and be valid at the envelope's server time. Throws
   * `ProtocolError` (the inbox drops the envelope); changes nothing.
   */
  unseal(a: AccountRecord, env: Envelope): Unsealed {
    const root = this.trustRoot();
    if (root === undefined)
      throw new ProtocolError('INVALID_CERTIFICATE', 'no trust root pinned for sealed sender');
    const content = sealedSenderDecryptToContent(
      this.#c.p,
      deviceIdentity(a),
      fromBase64(env.content),
    );
    const cert = content.senderCertificate;
    validateSenderCertificate(this.#c.p, cert, root, env.serverTimestamp);
    let type: number;
    if (content.type === SealedContentType.PreKey) type = PREKEY;
    else if (content.type === SealedContentType.Whisper) type = WHISPER;
    else throw new ProtocolError('INVALID_MESSAGE', 'sealed sender: not a 1:1 message');
    // Our own post's copy for this device (see `send`), sealed under our identity key (the
    // certificate names the sealing key): the inbox drops it without a word. A certificate
    // naming this device with any other key is the relay's forgery (it can certify any device)
    // and is reported as one.
    if (cert.senderUuid === a.accountId && cert.senderDeviceId === a.deviceId) {
      if (constantTimeEqual(cert.identityKey, deviceIdentity(a).publicKey))
        throw new ProtocolError('SEALED_SENDER_SELF_SEND', 'sealed message from this device');
      throw new ProtocolError('UNTRUSTED_IDENTITY', 'a certificate naming this device');
    }
    if (!conforms(schemas.DeviceId, cert.senderDeviceId) || !conforms(schemas.Id, cert.senderUuid))
      throw new ProtocolError('INVALID_CERTIFICATE', 'the certificate names no relay account');
    return {
      envelope: {
        ...env,
        senderAccountId: cert.senderUuid,
        senderDeviceId: cert.senderDeviceId,
        type,
        content: toBase64(content.content),
      },
      certifiedKey: cert.identityKey,
    };
  }
}

/** Whether an envelope is sealed (the relay stores these with no sender). */
export function isSealed(env: Envelope): boolean {
  return env.type === limits.SEALED_SENDER_ENVELOPE_TYPE;
}
