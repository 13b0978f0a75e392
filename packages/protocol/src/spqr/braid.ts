/**
 * The ML-KEM braid's transitions (spqr V1, chunked): what each state sends, and what a
 * received message of the same epoch does to it. A message of a later epoch is an error,
 * except the peer's next epoch reaching a side that has sent its ct2; an earlier epoch changes
 * nothing. Errors are returned, not thrown: the caller fails the whole decryption, so a bad
 * message changes no state.
 */
import { concatBytes, uint64BE, utf8Encode } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import {
  authStart,
  authUpdate,
  ciphertextMacValid,
  headerMacValid,
  MAC_BYTES,
  macCiphertext,
  macHeader,
  type Authenticator,
} from './authenticator.js';
import type { BraidState, Ct2Sampled } from './braid-states.js';
import { addChunk, decoded, newDecoder, newEncoder, nextChunk, type Chunk } from './erasure.js';
import { SpqrMessageType, type SpqrMessage } from './message.js';

const HEADER_BYTES = 64;
const EK_BYTES = 1152;
const CT1_BYTES = 960;
const CT2_BYTES = 128;
const INFO_EPOCH_KEY = utf8Encode('Signal_PQCKA_V1_MLKEM768:SCKA Key');
const ZERO_SALT = new Uint8Array(32);

export interface EpochSecret {
  readonly epoch: number;
  readonly secret: Uint8Array;
}

export interface BraidSend {
  readonly state: BraidState;
  readonly type: SpqrMessageType;
  readonly chunk?: Chunk;
  /** A new epoch secret, to be added to the chain before this message's key is taken. */
  readonly epochSecret?: EpochSecret;
}

export interface BraidRecv {
  readonly state: BraidState;
  readonly epochSecret?: EpochSecret;
}

/** Why a message was refused. */
export type BraidFailure = 'epoch' | 'header-mac' | 'ciphertext-mac' | 'key-mismatch';

/** The initiator (PQXDH's Alice) sends the first key; the responder the first ciphertext. */
export function braidStart(p: Primitives, pqrKey: Uint8Array, initiator: boolean): BraidState {
  const auth = authStart(p, pqrKey);
  return initiator
    ? { kind: 'KeysUnsampled', epoch: 1, auth }
    : {
        kind: 'NoHeaderReceived',
        epoch: 1,
        auth,
        receivingHdr: newDecoder(HEADER_BYTES + MAC_BYTES),
      };
}

/** The epoch secret from a KEM shared secret: HKDF(0³², ss, "…SCKA Key" ‖ BE64(epoch), 32). */
function epochKey(p: Primitives, sharedSecret: Uint8Array, epoch: number): Uint8Array {
  return p.hkdf(
    'sha256',
    sharedSecret,
    ZERO_SALT,
    concatBytes(INFO_EPOCH_KEY, uint64BE(BigInt(epoch))),
    32,
  );
}

function ct2State(
  p: Primitives,
  epoch: number,
  auth: Authenticator,
  es: Uint8Array,
  ek: Uint8Array,
  ct1: Uint8Array,
): Ct2Sampled {
  const ct2 = p.incrementalMlKem768.encapsulate2(es, ek);
  const mac = macCiphertext(p, auth, epoch, concatBytes(ct1, ct2));
  return { kind: 'Ct2Sampled', epoch, auth, sendingCt2: newEncoder(concatBytes(ct2, mac)) };
}

/** What `s` sends next. */
export function braidSend(p: Primitives, s: BraidState): BraidSend {
  switch (s.kind) {
    case 'KeysUnsampled': {
      const keys = p.incrementalMlKem768.generateKeyPair();
      const mac = macHeader(p, s.auth, s.epoch, keys.header);
      const { encoder, chunk } = nextChunk(newEncoder(concatBytes(keys.header, mac)));
      return {
        state: {
          kind: 'KeysSampled',
          epoch: s.epoch,
          auth: s.auth,
          ek: keys.encapsulationKey,
          dk: keys.decapsulationKey,
          sendingHdr: encoder,
        },
        type: SpqrMessageType.Hdr,
        chunk,
      };
    }
    case 'KeysSampled': {
      const { encoder, chunk } = nextChunk(s.sendingHdr);
      return { state: { ...s, sendingHdr: encoder }, type: SpqrMessageType.Hdr, chunk };
    }
    case 'HeaderSent': {
      const { encoder, chunk } = nextChunk(s.sendingEk);
      return { state: { ...s, sendingEk: encoder }, type: SpqrMessageType.Ek, chunk };
    }
    case 'Ct1Received': {
      const { encoder, chunk } = nextChunk(s.sendingEk);
      return { state: { ...s, sendingEk: encoder }, type: SpqrMessageType.EkCt1Ack, chunk };
    }
    case 'EkSentCt1Received':
      return { state: s, type: SpqrMessageType.Ct1Ack };
    case 'NoHeaderReceived':
    case 'Ct1Acknowledged':
      return { state: s, type: SpqrMessageType.None };
    case 'HeaderReceived': {
      const enc = p.incrementalMlKem768.encapsulate1(s.hdr);
      const secret = epochKey(p, enc.sharedSecret, s.epoch);
      enc.sharedSecret.fill(0);
      const { encoder, chunk } = nextChunk(newEncoder(enc.ciphertext1));
      return {
        state: {
          kind: 'Ct1Sampled',
          epoch: s.epoch,
          auth: authUpdate(p, s.auth, s.epoch, secret),
          hdr: s.hdr,
          es: enc.state,
          ct1: enc.ciphertext1,
          sendingCt1: encoder,
          receivingEk: s.receivingEk,
        },
        type: SpqrMessageType.Ct1,
        chunk,
        epochSecret: { epoch: s.epoch, secret },
      };
    }
    case 'Ct1Sampled': {
      const { encoder, chunk } = nextChunk(s.sendingCt1);
      return { state: { ...s, sendingCt1: encoder }, type: SpqrMessageType.Ct1, chunk };
    }
    case 'EkReceivedCt1Sampled': {
      const { encoder, chunk } = nextChunk(s.sendingCt1);
      return { state: { ...s, sendingCt1: encoder }, type: SpqrMessageType.Ct1, chunk };
    }
    case 'Ct2Sampled': {
      const { encoder, chunk } = nextChunk(s.sendingCt2);
      return { state: { ...s, sendingCt2: encoder }, type: SpqrMessageType.Ct2, chunk };
    }
  }
}

/** A received message's effect on `s`. */
export function braidRecv(p: Primitives, s: BraidState, m: SpqrMessage): BraidRecv | BraidFailure {
  if (m.epoch > s.epoch) {
    if (s.kind === 'Ct2Sampled' && m.epoch === s.epoch + 1)
      return { state: { kind: 'KeysUnsampled', epoch: m.epoch, auth: s.auth } };
    return 'epoch';
  }
  if (m.epoch < s.epoch) return { state: s };
  const chunk = m.chunk;
  switch (s.kind) {
    case 'KeysSampled': {
      if (m.type !== SpqrMessageType.Ct1 || chunk === undefined) return { state: s };
      return {
        state: {
          kind: 'HeaderSent',
          epoch: s.epoch,
          auth: s.auth,
          dk: s.dk,
          sendingEk: newEncoder(s.ek),
          receivingCt1: addChunk(newDecoder(CT1_BYTES), chunk),
        },
      };
    }
    case 'HeaderSent': {
      if (m.type !== SpqrMessageType.Ct1 || chunk === undefined) return { state: s };
      const receivingCt1 = addChunk(s.receivingCt1, chunk);
      const ct1 = decoded(receivingCt1);
      if (ct1 === undefined) return { state: { ...s, receivingCt1 } };
      return {
        state: {
          kind: 'Ct1Received',
          epoch: s.epoch,
          auth: s.auth,
          dk: s.dk,
          ct1,
          sendingEk: s.sendingEk,
        },
      };
    }
    case 'Ct1Received': {
      if (m.type !== SpqrMessageType.Ct2 || chunk === undefined) return { state: s };
      return {
        state: {
          kind: 'EkSentCt1Received',
          epoch: s.epoch,
          auth: s.auth,
          dk: s.dk,
          ct1: s.ct1,
          receivingCt2: addChunk(newDecoder(CT2_BYTES + MAC_BYTES), chunk),
        },
      };
    }
    case 'EkSentCt1Received': {
      if (m.type !== SpqrMessageType.Ct2 || chunk === undefined) return { state: s };
      const receivingCt2 = addChunk(s.receivingCt2, chunk);
      const payload = decoded(receivingCt2);
      if (payload === undefined) return { state: { ...s, receivingCt2 } };
      const ct2 = payload.subarray(0, CT2_BYTES);
      const mac = payload.subarray(CT2_BYTES);
      const shared = p.incrementalMlKem768.decapsulate(s.ct1, ct2, s.dk);
      const secret = epochKey(p, shared, s.epoch);
      shared.fill(0);
      const auth = authUpdate(p, s.auth, s.epoch, secret);
      if (!ciphertextMacValid(p, auth, s.epoch, concatBytes(s.ct1, ct2), mac))
        return 'ciphertext-mac';
      return {
        state: {
          kind: 'NoHeaderReceived',
          epoch: s.epoch + 1,
          auth,
          receivingHdr: newDecoder(HEADER_BYTES + MAC_BYTES),
        },
        epochSecret: { epoch: s.epoch, secret },
      };
    }
    case 'NoHeaderReceived': {
      if (m.type !== SpqrMessageType.Hdr || chunk === undefined) return { state: s };
      const receivingHdr = addChunk(s.receivingHdr, chunk);
      const payload = decoded(receivingHdr);
      if (payload === undefined) return { state: { ...s, receivingHdr } };
      const hdr = payload.slice(0, HEADER_BYTES);
      if (!headerMacValid(p, s.auth, s.epoch, hdr, payload.subarray(HEADER_BYTES)))
        return 'header-mac';
      return {
        state: {
          kind: 'HeaderReceived',
          epoch: s.epoch,
          auth: s.auth,
          hdr,
          receivingEk: newDecoder(EK_BYTES),
        },
      };
    }
    case 'Ct1Sampled': {
      const ack = m.type === SpqrMessageType.EkCt1Ack;
      if ((m.type !== SpqrMessageType.Ek && !ack) || chunk === undefined) return { state: s };
      const receivingEk = addChunk(s.receivingEk, chunk);
      const ek = decoded(receivingEk);
      if (ek === undefined) {
        if (!ack) return { state: { ...s, receivingEk } };
        return {
          state: {
            kind: 'Ct1Acknowledged',
            epoch: s.epoch,
            auth: s.auth,
            hdr: s.hdr,
            es: s.es,
            ct1: s.ct1,
            receivingEk,
          },
        };
      }
      if (!p.incrementalMlKem768.encapsulationKeyMatches(s.hdr, ek)) return 'key-mismatch';
      if (ack) return { state: ct2State(p, s.epoch, s.auth, s.es, ek, s.ct1) };
      return {
        state: {
          kind: 'EkReceivedCt1Sampled',
          epoch: s.epoch,
          auth: s.auth,
          es: s.es,
          ek,
          ct1: s.ct1,
          sendingCt1: s.sendingCt1,
        },
      };
    }
    case 'EkReceivedCt1Sampled': {
      if (m.type !== SpqrMessageType.Ct1Ack && m.type !== SpqrMessageType.EkCt1Ack)
        return { state: s };
      return { state: ct2State(p, s.epoch, s.auth, s.es, s.ek, s.ct1) };
    }
    case 'Ct1Acknowledged': {
      const isEk = m.type === SpqrMessageType.Ek || m.type === SpqrMessageType.EkCt1Ack;
      if (!isEk || chunk === undefined) return { state: s };
      const receivingEk = addChunk(s.receivingEk, chunk);
      const ek = decoded(receivingEk);
      if (ek === undefined) return { state: { ...s, receivingEk } };
      if (!p.incrementalMlKem768.encapsulationKeyMatches(s.hdr, ek)) return 'key-mismatch';
      return { state: ct2State(p, s.epoch, s.auth, s.es, ek, s.ct1) };
    }
    case 'KeysUnsampled':
    case 'HeaderReceived':
    case 'Ct2Sampled':
      return { state: s };
  }
}
