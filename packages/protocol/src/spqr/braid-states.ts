/**
 * The states of SPQR's ML-KEM braid (V1, chunked), one union for both roles. In each epoch one
 * side sends an encapsulation key (header, then vector part) and receives the ciphertext; the
 * other does the reverse; the roles swap every epoch. The names are spqr's, so that its logs
 * and ours can be read side by side.
 */
import type { Authenticator } from './authenticator.js';
import type { Decoder, Encoder } from './erasure.js';

interface Base {
  /** The epoch being negotiated; messages carry it and use the chain of epoch − 1. */
  readonly epoch: number;
  readonly auth: Authenticator;
}

/** Sends the key this epoch and has not drawn it yet. */
export interface KeysUnsampled extends Base {
  readonly kind: 'KeysUnsampled';
}
/** Sending the header chunks. */
export interface KeysSampled extends Base {
  readonly kind: 'KeysSampled';
  readonly ek: Uint8Array;
  readonly dk: Uint8Array;
  readonly sendingHdr: Encoder;
}
/** The first ct1 chunk came: sending the key's vector part, collecting ct1. */
export interface HeaderSent extends Base {
  readonly kind: 'HeaderSent';
  readonly dk: Uint8Array;
  readonly sendingEk: Encoder;
  readonly receivingCt1: Decoder;
}
/** ct1 complete: still sending the vector part, now with the ct1 acknowledgement. */
export interface Ct1Received extends Base {
  readonly kind: 'Ct1Received';
  readonly dk: Uint8Array;
  readonly ct1: Uint8Array;
  readonly sendingEk: Encoder;
}
/** The first ct2 chunk came: acknowledging ct1, collecting ct2 ‖ MAC. */
export interface EkSentCt1Received extends Base {
  readonly kind: 'EkSentCt1Received';
  readonly dk: Uint8Array;
  readonly ct1: Uint8Array;
  readonly receivingCt2: Decoder;
}

/** Sends the ciphertext this epoch; collecting the header ‖ MAC. */
export interface NoHeaderReceived extends Base {
  readonly kind: 'NoHeaderReceived';
  readonly receivingHdr: Decoder;
}
/** Header verified; ct1 is drawn with the next message. */
export interface HeaderReceived extends Base {
  readonly kind: 'HeaderReceived';
  readonly hdr: Uint8Array;
  readonly receivingEk: Decoder;
}
/** Sending ct1 chunks, collecting the vector part. */
export interface Ct1Sampled extends Base {
  readonly kind: 'Ct1Sampled';
  readonly hdr: Uint8Array;
  readonly es: Uint8Array;
  readonly ct1: Uint8Array;
  readonly sendingCt1: Encoder;
  readonly receivingEk: Decoder;
}
/** Vector part complete: still sending ct1 until the peer acknowledges it. */
export interface EkReceivedCt1Sampled extends Base {
  readonly kind: 'EkReceivedCt1Sampled';
  readonly es: Uint8Array;
  readonly ek: Uint8Array;
  readonly ct1: Uint8Array;
  readonly sendingCt1: Encoder;
}
/** ct1 acknowledged: collecting the rest of the vector part. */
export interface Ct1Acknowledged extends Base {
  readonly kind: 'Ct1Acknowledged';
  readonly hdr: Uint8Array;
  readonly es: Uint8Array;
  readonly ct1: Uint8Array;
  readonly receivingEk: Decoder;
}
/** Sending ct2 ‖ MAC chunks until the peer's next epoch shows. */
export interface Ct2Sampled extends Base {
  readonly kind: 'Ct2Sampled';
  readonly sendingCt2: Encoder;
}

export type BraidState =
  | KeysUnsampled
  | KeysSampled
  | HeaderSent
  | Ct1Received
  | EkSentCt1Received
  | NoHeaderReceived
  | HeaderReceived
  | Ct1Sampled
  | EkReceivedCt1Sampled
  | Ct1Acknowledged
  | Ct2Sampled;

/** The state kinds in their stored order (the record format's state tag). */
export const BRAID_KINDS = [
  'KeysUnsampled',
  'KeysSampled',
  'HeaderSent',
  'Ct1Received',
  'EkSentCt1Received',
  'NoHeaderReceived',
  'HeaderReceived',
  'Ct1Sampled',
  'EkReceivedCt1Sampled',
  'Ct1Acknowledged',
  'Ct2Sampled',
] as const satisfies readonly BraidState['kind'][];
