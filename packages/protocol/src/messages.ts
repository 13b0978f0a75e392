import { BytesError, ProtoReader, ProtoWriter, concatBytes } from '@parley/bytes';
import { ADDRESSES_LENGTH, CIPHERTEXT_VERSION_BYTE, MAC_LENGTH } from './constants.js';
import { ProtocolError } from './errors.js';
import {
  deserializeKyberCiphertext,
  deserializePublicKey,
  serializeKyberCiphertext,
  serializePublicKey,
  type KyberCiphertext,
  type PublicKey,
} from './keys.js';
import { MAX_MESSAGE_BYTES } from './limits.js';

/** A parsed SignalMessage (spec §4). `macInput` and `mac` are views of the received bytes. */
export interface SignalMessage {
  readonly ratchetKey: PublicKey;
  readonly counter: number;
  readonly previousCounter: number;
  readonly ciphertext: Uint8Array;
  /** The SPQR message (field 5); empty when absent. */
  readonly pqRatchet: Uint8Array;
  readonly addresses: Uint8Array | undefined;
  /** Version byte ‖ protobuf: what the MAC covers after the two identity keys. */
  readonly macInput: Uint8Array;
  readonly mac: Uint8Array;
  readonly serialized: Uint8Array;
}

/** A parsed PreKeySignalMessage (spec §3). */
export interface PreKeySignalMessage {
  readonly preKeyId: number | undefined;
  readonly baseKey: PublicKey;
  readonly identityKey: PublicKey;
  readonly message: SignalMessage;
  readonly registrationId: number;
  readonly signedPreKeyId: number;
  readonly kyberPreKeyId: number;
  readonly kyberCiphertext: KyberCiphertext;
  readonly serialized: Uint8Array;
}

/** The fields of a SignalMessage before its MAC. */
export interface SignalMessageBody {
  readonly ratchetKey: PublicKey;
  readonly counter: number;
  readonly previousCounter: number;
  readonly ciphertext: Uint8Array;
  readonly pqRatchet: Uint8Array;
  readonly addresses: Uint8Array | undefined;
}

/** Version byte ‖ protobuf of a SignalMessage, fields in ascending order as libsignal writes them. */
export function encodeSignalMessageBody(body: SignalMessageBody): Uint8Array {
  const w = new ProtoWriter()
    .bytes(1, serializePublicKey(body.ratchetKey))
    .uint32(2, body.counter)
    .uint32(3, body.previousCounter)
    .bytes(4, body.ciphertext);
  if (body.pqRatchet.length > 0) w.bytes(5, body.pqRatchet);
  if (body.addresses !== undefined) w.bytes(6, body.addresses);
  return concatBytes(Uint8Array.of(CIPHERTEXT_VERSION_BYTE), w.finish());
}

export interface PreKeyFields {
  readonly preKeyId: number | undefined;
  readonly baseKey: PublicKey;
  readonly identityKey: PublicKey;
  readonly registrationId: number;
  readonly signedPreKeyId: number;
  readonly kyberPreKeyId: number;
  readonly kyberCiphertext: KyberCiphertext;
}

export function encodePreKeySignalMessage(fields: PreKeyFields, message: Uint8Array): Uint8Array {
  const w = new ProtoWriter();
  if (fields.preKeyId !== undefined) w.uint32(1, fields.preKeyId);
  w.bytes(2, serializePublicKey(fields.baseKey))
    .bytes(3, serializePublicKey(fields.identityKey))
    .bytes(4, message)
    .uint32(5, fields.registrationId)
    .uint32(6, fields.signedPreKeyId)
    .uint32(7, fields.kyberPreKeyId)
    .bytes(8, serializeKyberCiphertext(fields.kyberCiphertext));
  return concatBytes(Uint8Array.of(CIPHERTEXT_VERSION_BYTE), w.finish());
}

function invalid(what: string): ProtocolError {
  return new ProtocolError('INVALID_MESSAGE', what);
}

/** Runs a parser, turning codec and key errors into `INVALID_MESSAGE`. */
export function parsing<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ProtocolError && error.code === 'INVALID_MESSAGE') throw error;
    if (error instanceof BytesError || error instanceof ProtocolError) {
      throw invalid(`${what}: malformed`);
    }
    throw error;
  }
}

function checkVersion(bytes: Uint8Array, what: string): void {
  if (bytes.length > MAX_MESSAGE_BYTES) throw invalid(`${what}: too long`);
  const version = bytes[0];
  if (version === undefined) throw invalid(`${what}: empty`);
  // libsignal reads only the high nibble; it always writes 0x44, and so do we, so we accept
  // exactly that byte: a flipped low bit is then rejected like any other modification.
  if (version !== CIPHERTEXT_VERSION_BYTE) throw invalid(`${what}: unsupported version`);
}

export function parseSignalMessage(bytes: Uint8Array): SignalMessage {
  checkVersion(bytes, 'SignalMessage');
  if (bytes.length < 1 + MAC_LENGTH) throw invalid('SignalMessage: too short');
  return parsing('SignalMessage', () => {
    const macInput = bytes.subarray(0, bytes.length - MAC_LENGTH);
    let ratchetKey: PublicKey | undefined;
    let counter: number | undefined;
    let previousCounter = 0;
    let ciphertext: Uint8Array | undefined;
    let pqRatchet: Uint8Array = new Uint8Array(0);
    let addresses: Uint8Array | undefined;
    for (const f of new ProtoReader(macInput.subarray(1))) {
      switch (f.fieldNumber) {
        case 1:
          ratchetKey = deserializePublicKey(f.bytes());
          break;
        case 2:
          counter = f.uint32();
          break;
        case 3:
          previousCounter = f.uint32();
          break;
        case 4:
          ciphertext = f.bytes();
          break;
        case 5:
          pqRatchet = f.bytes();
          break;
        case 6:
          addresses = f.bytes();
          if (addresses.length !== ADDRESSES_LENGTH) throw invalid('SignalMessage: bad addresses');
          break;
        default:
          break;
      }
    }
    if (ratchetKey === undefined || counter === undefined || ciphertext === undefined) {
      throw invalid('SignalMessage: missing field');
    }
    return {
      ratchetKey,
      counter,
      previousCounter,
      ciphertext,
      pqRatchet,
      addresses,
      macInput,
      mac: bytes.subarray(bytes.length - MAC_LENGTH),
      serialized: bytes,
    };
  });
}

export function parsePreKeySignalMessage(bytes: Uint8Array): PreKeySignalMessage {
  checkVersion(bytes, 'PreKeySignalMessage');
  return parsing('PreKeySignalMessage', () => {
    let preKeyId: number | undefined;
    let baseKey: PublicKey | undefined;
    let identityKey: PublicKey | undefined;
    let message: SignalMessage | undefined;
    let registrationId: number | undefined;
    let signedPreKeyId: number | undefined;
    let kyberPreKeyId: number | undefined;
    let kyberCiphertext: KyberCiphertext | undefined;
    for (const f of new ProtoReader(bytes.subarray(1))) {
      switch (f.fieldNumber) {
        case 1:
          preKeyId = f.uint32();
          break;
        case 2:
          baseKey = deserializePublicKey(f.bytes());
          break;
        case 3:
          identityKey = deserializePublicKey(f.bytes());
          break;
        case 4:
          message = parseSignalMessage(f.bytes());
          break;
        case 5:
          registrationId = f.uint32();
          break;
        case 6:
          signedPreKeyId = f.uint32();
          break;
        case 7:
          kyberPreKeyId = f.uint32();
          break;
        case 8:
          kyberCiphertext = deserializeKyberCiphertext(f.bytes());
          break;
        default:
          break;
      }
    }
    if (
      baseKey === undefined ||
      identityKey === undefined ||
      message === undefined ||
      signedPreKeyId === undefined ||
      kyberPreKeyId === undefined ||
      kyberCiphertext === undefined
    ) {
      throw invalid('PreKeySignalMessage: missing field');
    }
    return {
      preKeyId,
      baseKey,
      identityKey,
      message,
      registrationId: registrationId ?? 0,
      signedPreKeyId,
      kyberPreKeyId,
      kyberCiphertext,
      serialized: bytes,
    };
  });
}
