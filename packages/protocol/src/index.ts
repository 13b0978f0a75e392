export { ProtocolError, type ProtocolErrorCode } from './errors.js';
export * as limits from './limits.js';
export { MessageType, CIPHERTEXT_VERSION_BYTE } from './constants.js';
export { addressesBinding, addressKey, type ProtocolAddress } from './address.js';
export {
  asKyberCiphertext,
  asKyberPublicKey,
  asKyberSecretKey,
  asPrivateKey,
  asPublicKey,
  deserializeKyberPublicKey,
  deserializePublicKey,
  generateIdentityKeyPair,
  generateKeyPair,
  generateKyberKeyPair,
  generateRegistrationId,
  serializeKyberPublicKey,
  serializePublicKey,
  type IdentityKeyPair,
  type KeyPair,
  type KyberCiphertext,
  type KyberKeyPair,
  type KyberPublicKey,
  type KyberSecretKey,
  type PrivateKey,
  type PublicKey,
} from './keys.js';
export { verifyBundle, type PreKeyBundle } from './bundle.js';
export {
  generateKyberPreKey,
  generatePreKey,
  generateSignedPreKey,
  makeBundle,
  type KyberPreKeyRecord,
  type PreKeyRecord,
  type SignedPreKeyRecord,
} from './prekeys.js';
export {
  parsePreKeySignalMessage,
  parseSignalMessage,
  type PreKeySignalMessage,
  type SignalMessage,
} from './messages.js';
export type { SessionState } from './session-state.js';
export { EMPTY_SESSION_RECORD, type SessionRecord } from './session-record.js';
export {
  SESSION_RECORD_FORMAT_VERSION,
  deserializeSessionRecord,
  serializeSessionRecord,
} from './record-format.js';
export {
  PREKEY_RECORD_FORMAT_VERSION,
  deserializeIdentityKeyPair,
  deserializeKyberPreKeyRecord,
  deserializePreKeyRecord,
  deserializeSignedPreKeyRecord,
  serializeIdentityKeyPair,
  serializeKyberPreKeyRecord,
  serializePreKeyRecord,
  serializeSignedPreKeyRecord,
} from './prekey-format.js';
export type {
  Direction,
  IdentityKeyStore,
  KyberPreKeyStore,
  PreKeyStore,
  ProtocolStores,
  SessionStore,
  SignedPreKeyStore,
} from './stores.js';
export {
  InMemoryIdentityKeyStore,
  InMemoryKyberPreKeyStore,
  InMemoryPreKeyStore,
  InMemorySessionStore,
  InMemorySignedPreKeyStore,
  createInMemoryStores,
  type InMemoryStores,
} from './memory-stores.js';
export {
  commitChanges,
  decrypt,
  encrypt,
  hasSession,
  processPreKeyBundle,
  type Computed,
  type EncryptedMessage,
  type ProtocolContext,
  type SessionChanges,
} from './session-cipher.js';
export {
  encodeSpqrMessage,
  parseSpqrMessage,
  SpqrMessageType,
  type SpqrMessage,
} from './spqr/message.js';
export {
  spqrEpochs,
  spqrInit,
  spqrRecv,
  spqrSend,
  type SpqrEpochs,
  type SpqrState,
} from './spqr/spqr.js';
/** SPQR's erasure code, for known-answer tests against other implementations' chunks. */
export * as spqrErasure from './spqr/erasure.js';
export {
  REVOKED_SERVER_CERTIFICATE_IDS,
  createSenderCertificate,
  createServerCertificate,
  parseSenderCertificate,
  parseServerCertificate,
  validateSenderCertificate,
  verifyServerCertificate,
  type SenderCertificate,
  type SenderCertificateFields,
  type SenderCertificateSigner,
  type ServerCertificate,
} from './sealed/certificates.js';
export {
  ContentHint,
  SealedContentType,
  createContent,
  parseContent,
  type ContentFields,
  type UnidentifiedSenderMessageContent,
} from './sealed/content.js';
export { SEALED_SENDER_V1_VERSION_BYTE, sealV1 } from './sealed/sealed-v1.js';
export {
  SEALED_SENDER_V2_RECEIVED_VERSION_BYTE,
  SEALED_SENDER_V2_SERVICE_ID_VERSION_BYTE,
  SEALED_SENDER_V2_UUID_VERSION_BYTE,
  parseSentMessage,
  receivedMessageFor,
  sealV2,
  type SentMessage,
  type SentRecipient,
  type V2Device,
  type V2Recipient,
} from './sealed/sealed-v2.js';
export {
  sealedSenderDecrypt,
  sealedSenderDecryptToContent,
  sealedSenderEncrypt,
  sealedSenderEncryptContent,
  sealedSenderMultiRecipientEncrypt,
  type SealedSenderDecryptOptions,
  type SealedSenderResult,
} from './sealed/sealed-sender.js';
