/**
 * What the relay needs to serve sealed sender's certificates, received from the deployment
 * (apps/server) rather than computed here: the relay imports no cryptography of the protocol
 * (it stays blind by construction), so signing certificates is the issuer's job.
 */

/** The device a certificate is issued to, as the relay has it stored. */
export interface CertifiedDevice {
  readonly accountId: string;
  readonly deviceId: number;
  /** The device's identity key as it registered it (`0x05 ‖ 32 bytes`). */
  readonly identityKey: Uint8Array;
}

export interface SenderCertificateIssuer {
  /** The deployment's trust root, `0x05 ‖ 32 bytes`, published to anyone. */
  readonly trustRoot: Uint8Array;
  /** A serialized sender certificate for `device`, valid from `now` until `expiresAt`. */
  issue(
    device: CertifiedDevice,
    now: number,
  ): { readonly certificate: Uint8Array; readonly expiresAt: number };
}
