import { BytesError, constantTimeEqual, TlsReader, TlsWriter } from '@parley/bytes';
import { writeOpaque } from './codec.js';
import { MlsError } from './errors.js';
import {
  ContentType,
  encodeAuthenticatedContentTbm,
  encodeFramedContentTbs,
  readAuthData,
  readBodyOnly,
  SenderType,
  WireFormat,
  writeAuthData,
  writeBodyOnly,
  type AuthenticatedContent,
  type FramedContent,
  type FramedContentAuthData,
  type PrivateMessage,
  type PublicMessage,
} from './framing.js';
import type { GroupContext } from './group-context.js';
import { MAX_PADDING_BYTES } from './limits.js';
import type { MlsCrypto } from './mls-crypto.js';
import { senderDataKeyNonce, type SecretTree } from './secret-tree.js';
import { leafIndex } from './tree-math.js';

/**
 * Message framing (RFC 9420 §6): signing and MACing PublicMessages, encrypting and decrypting
 * PrivateMessages with the secret tree. Unprotecting returns the verified AuthenticatedContent
 * and, for private messages, the secret tree without the used key: nothing changes until the
 * caller commits it.
 */

/**
 * Finds the signature public key for a message's sender in the current epoch, or undefined if
 * unknown. It gets the whole content because for new members the key is inside it (the Add's
 * KeyPackage, the external commit's UpdatePath leaf).
 */
export type SignatureKeyLookup = (content: FramedContent) => Uint8Array | undefined;

const REUSE_GUARD_LENGTH = 4;
const SIGNATURE_LABEL = 'FramedContentTBS';

function sign(
  crypto: MlsCrypto,
  wireFormat: 1 | 2,
  content: FramedContent,
  context: GroupContext,
  signaturePrivateKey: Uint8Array,
): Uint8Array {
  const tbs = encodeFramedContentTbs(wireFormat, content, context);
  return crypto.signWithLabel(signaturePrivateKey, SIGNATURE_LABEL, tbs);
}

function verify(
  crypto: MlsCrypto,
  wireFormat: 1 | 2,
  content: FramedContent,
  auth: FramedContentAuthData,
  context: GroupContext,
  lookup: SignatureKeyLookup,
): boolean {
  const key = lookup(content);
  if (key === undefined) return false;
  const tbs = encodeFramedContentTbs(wireFormat, content, context);
  return crypto.verifyWithLabel(key, SIGNATURE_LABEL, tbs, auth.signature);
}

function authData(
  content: FramedContent,
  signature: Uint8Array,
  tag?: Uint8Array,
): FramedContentAuthData {
  if (content.contentType === ContentType.commit) {
    if (tag === undefined) throw new MlsError('MISUSE', 'a commit needs its confirmation tag');
    return { signature, confirmationTag: tag };
  }
  return { signature };
}

function checkEpoch(groupId: Uint8Array, epoch: bigint, context: GroupContext): void {
  if (!constantTimeEqual(groupId, context.groupId) || epoch !== context.epoch) {
    throw new MlsError('INVALID_MESSAGE', 'message is not for this group and epoch');
  }
}

/** What protecting a message needs besides the content. */
export interface ProtectOptions {
  readonly context: GroupContext;
  readonly signaturePrivateKey: Uint8Array;
  /** Required for commits. */
  readonly confirmationTag?: Uint8Array;
  /**
   * The content's signature for this wire format when the caller has already made it (a commit
   * signs before its confirmation tag exists); it must be the one `signaturePrivateKey` makes.
   */
  readonly signature?: Uint8Array;
}

function signatureFor(
  crypto: MlsCrypto,
  wireFormat: 1 | 2,
  content: FramedContent,
  options: ProtectOptions,
): Uint8Array {
  return (
    options.signature ??
    sign(crypto, wireFormat, content, options.context, options.signaturePrivateKey)
  );
}

/**
 * Signs `content` as a PublicMessage and, for a member sender, adds the membership tag.
 * Application data is never sent in a PublicMessage (RFC 9420 §6.2): `MISUSE`.
 */
export function protectPublic(
  crypto: MlsCrypto,
  content: FramedContent,
  options: ProtectOptions & { readonly membershipKey: Uint8Array },
): PublicMessage {
  if (content.contentType === ContentType.application) {
    throw new MlsError('MISUSE', 'application data must be sent as a PrivateMessage');
  }
  const signature = signatureFor(crypto, WireFormat.publicMessage, content, options);
  const auth = authData(content, signature, options.confirmationTag);
  if (content.sender.senderType !== SenderType.member) return { content, auth };
  const tbm = encodeAuthenticatedContentTbm(content, auth, options.context);
  return { content, auth, membershipTag: crypto.mac(options.membershipKey, tbm) };
}

/** What unprotecting a PublicMessage checks against. */
export interface UnprotectPublicOptions {
  readonly context: GroupContext;
  readonly membershipKey: Uint8Array;
  readonly signatureKey: SignatureKeyLookup;
}

/**
 * Verifies a PublicMessage of the current epoch: group and epoch, no application data, the
 * membership tag of a member sender, and the signature. Throws `INVALID_MESSAGE` or
 * `AUTHENTICATION_FAILED`.
 */
export function unprotectPublic(
  crypto: MlsCrypto,
  message: PublicMessage,
  options: UnprotectPublicOptions,
): AuthenticatedContent {
  const { content, auth } = message;
  checkEpoch(content.groupId, content.epoch, options.context);
  if (content.contentType === ContentType.application) {
    throw new MlsError('INVALID_MESSAGE', 'application data in a PublicMessage');
  }
  if (content.sender.senderType === SenderType.member) {
    const tag = message.membershipTag;
    const tbm = encodeAuthenticatedContentTbm(content, auth, options.context);
    if (tag === undefined || !crypto.verifyMac(options.membershipKey, tbm, tag)) {
      throw new MlsError('AUTHENTICATION_FAILED', 'PublicMessage did not verify');
    }
  }
  if (
    !verify(crypto, WireFormat.publicMessage, content, auth, options.context, options.signatureKey)
  ) {
    throw new MlsError('AUTHENTICATION_FAILED', 'PublicMessage did not verify');
  }
  return { wireFormat: WireFormat.publicMessage, content, auth };
}

/** What protecting a PrivateMessage needs besides the content. */
export interface ProtectPrivateOptions extends ProtectOptions {
  readonly secretTree: SecretTree;
  readonly senderDataSecret: Uint8Array;
  /** Zero bytes appended to the content before encryption (default 0). */
  readonly paddingLength?: number;
}

function withReuseGuard(nonce: Uint8Array, guard: Uint8Array): Uint8Array {
  const out = nonce.slice();
  for (let i = 0; i < REUSE_GUARD_LENGTH; i++) out[i] = (out[i] ?? 0) ^ (guard[i] ?? 0);
  return out;
}

function senderDataAad(groupId: Uint8Array, epoch: bigint, contentType: number): Uint8Array {
  const w = new TlsWriter();
  writeOpaque(w, groupId);
  return w.uint64(epoch).uint8(contentType).finish();
}

function contentAad(m: {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly contentType: number;
  readonly authenticatedData: Uint8Array;
}): Uint8Array {
  const w = new TlsWriter();
  writeOpaque(w, m.groupId);
  w.uint64(m.epoch).uint8(m.contentType);
  writeOpaque(w, m.authenticatedData);
  return w.finish();
}

/**
 * Encrypts `content` from a member as a PrivateMessage with the next key of the sender's
 * ratchet. Returns the message and the secret tree without that key, for the caller to commit.
 */
export function protectPrivate(
  crypto: MlsCrypto,
  content: FramedContent,
  options: ProtectPrivateOptions,
): { readonly message: PrivateMessage; readonly secretTree: SecretTree } {
  const { sender } = content;
  if (sender.senderType !== SenderType.member) {
    throw new MlsError('MISUSE', 'only members send PrivateMessages');
  }
  const padding = options.paddingLength ?? 0;
  if (!Number.isInteger(padding) || padding < 0 || padding > MAX_PADDING_BYTES) {
    throw new MlsError('LIMIT_EXCEEDED', `padding outside 0..${MAX_PADDING_BYTES}`);
  }
  const signature = signatureFor(crypto, WireFormat.privateMessage, content, options);
  const auth = authData(content, signature, options.confirmationTag);
  const type = content.contentType === ContentType.application ? 'application' : 'handshake';
  const { key, tree } = options.secretTree.nextKey(leafIndex(sender.leafIndex), type);
  const guard = crypto.primitives.randomBytes(REUSE_GUARD_LENGTH);

  const plaintext = new TlsWriter();
  writeBodyOnly(plaintext, content);
  writeAuthData(plaintext, content.contentType, auth);
  plaintext.bytes(new Uint8Array(padding));
  const header = {
    groupId: content.groupId,
    epoch: content.epoch,
    contentType: content.contentType,
    authenticatedData: content.authenticatedData,
  };
  const ciphertext = crypto.seal(
    key.key,
    withReuseGuard(key.nonce, guard),
    contentAad(header),
    plaintext.finish(),
  );
  const senderData = new TlsWriter()
    .uint32(sender.leafIndex)
    .uint32(key.generation)
    .bytes(guard)
    .finish();
  const sd = senderDataKeyNonce(crypto, options.senderDataSecret, ciphertext);
  const encryptedSenderData = crypto.seal(
    sd.key,
    sd.nonce,
    senderDataAad(header.groupId, header.epoch, header.contentType),
    senderData,
  );
  return { message: { ...header, encryptedSenderData, ciphertext }, secretTree: tree };
}

/** What unprotecting a PrivateMessage needs. */
export interface UnprotectPrivateOptions {
  readonly context: GroupContext;
  readonly secretTree: SecretTree;
  readonly senderDataSecret: Uint8Array;
  readonly signatureKey: SignatureKeyLookup;
}

function decodePlaintext(
  plaintext: Uint8Array,
  contentType: 1 | 2 | 3,
): {
  body: ReturnType<typeof readBodyOnly>;
  auth: FramedContentAuthData;
} {
  const r = new TlsReader(plaintext);
  const body = readBodyOnly(r, contentType);
  const auth = readAuthData(r, contentType);
  const padding = r.bytes(r.remaining);
  if (padding.some((b) => b !== 0)) throw new MlsError('DECRYPT_FAILED', 'bad padding');
  return { body, auth };
}

/**
 * Decrypts and verifies a PrivateMessage of the current epoch. Returns the AuthenticatedContent
 * and the secret tree without the used key. Every failure after the group and epoch check is
 * `DECRYPT_FAILED`, whatever its cause.
 */
export function unprotectPrivate(
  crypto: MlsCrypto,
  message: PrivateMessage,
  options: UnprotectPrivateOptions,
): { readonly content: AuthenticatedContent; readonly secretTree: SecretTree } {
  checkEpoch(message.groupId, message.epoch, options.context);
  try {
    const sd = senderDataKeyNonce(crypto, options.senderDataSecret, message.ciphertext);
    const senderData = crypto.open(
      sd.key,
      sd.nonce,
      senderDataAad(message.groupId, message.epoch, message.contentType),
      message.encryptedSenderData,
    );
    const r = new TlsReader(senderData);
    const leaf = r.uint32();
    const generation = r.uint32();
    const guard = r.bytes(REUSE_GUARD_LENGTH);
    r.finish();
    if (leaf >= options.secretTree.leafCount)
      throw new MlsError('DECRYPT_FAILED', 'unknown sender');
    const type = message.contentType === ContentType.application ? 'application' : 'handshake';
    const { key, tree } = options.secretTree.keyFor(leafIndex(leaf), type, generation);
    const plaintext = crypto.open(
      key.key,
      withReuseGuard(key.nonce, guard),
      contentAad(message),
      message.ciphertext,
    );
    const { body, auth } = decodePlaintext(plaintext, message.contentType);
    const content: FramedContent = {
      groupId: message.groupId,
      epoch: message.epoch,
      sender: { senderType: SenderType.member, leafIndex: leaf },
      authenticatedData: message.authenticatedData,
      ...body,
    };
    if (
      !verify(
        crypto,
        WireFormat.privateMessage,
        content,
        auth,
        options.context,
        options.signatureKey,
      )
    ) {
      throw new MlsError('DECRYPT_FAILED', 'PrivateMessage did not verify');
    }
    return { content: { wireFormat: WireFormat.privateMessage, content, auth }, secretTree: tree };
  } catch (error) {
    if (error instanceof MlsError || error instanceof BytesError) {
      throw new MlsError('DECRYPT_FAILED', 'PrivateMessage could not be decrypted');
    }
    throw error;
  }
}
