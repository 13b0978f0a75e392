import type { TlsReader, TlsWriter } from '@parley/bytes';
import { readOpaque, writeOpaque } from './codec.js';
import { MlsError } from './errors.js';

/** CredentialType values (RFC 9420 §17.5). */
export const CredentialType = { basic: 1, x509: 2 } as const;

/**
 * Credential (RFC 9420 §5.3). Only the two standard types can be decoded: any other type has no
 * length prefix, so its body cannot be skipped.
 */
export type Credential =
  | { readonly credentialType: 1; readonly identity: Uint8Array }
  | { readonly credentialType: 2; readonly certificates: readonly Uint8Array[] };

/** Writes a Credential. */
export function writeCredential(w: TlsWriter, c: Credential): void {
  w.uint16(c.credentialType);
  if (c.credentialType === CredentialType.basic) writeOpaque(w, c.identity);
  else w.vector('varint', c.certificates, writeOpaque);
}

/** Reads a Credential; throws `INVALID_ENCODING` for a type other than basic or x509. */
export function readCredential(r: TlsReader): Credential {
  const credentialType = r.uint16();
  if (credentialType === CredentialType.basic) {
    return { credentialType, identity: readOpaque(r) };
  }
  if (credentialType === CredentialType.x509) {
    return { credentialType, certificates: r.vector('varint', readOpaque) };
  }
  throw new MlsError('INVALID_ENCODING', `unknown credential type ${credentialType}`);
}
