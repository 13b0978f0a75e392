import type { TlsReader, TlsWriter } from '@parley/bytes';
import { decodeWith, readOpaque, writeOpaque } from './codec.js';
import { readCredential, type Credential } from './credential.js';

/** Extension (RFC 9420 §13.4): a type and opaque data, kept as received. */
export interface Extension {
  readonly extensionType: number;
  readonly extensionData: Uint8Array;
}

/** Well-known extension types (RFC 9420 §17.3). */
export const ExtensionType = {
  applicationId: 1,
  ratchetTree: 2,
  requiredCapabilities: 3,
  externalPub: 4,
  externalSenders: 5,
} as const;

/** Writes `Extension extensions<V>`. */
export function writeExtensions(w: TlsWriter, extensions: readonly Extension[]): void {
  w.vector('varint', extensions, (ew, e) => {
    ew.uint16(e.extensionType);
    writeOpaque(ew, e.extensionData);
  });
}

/** Reads `Extension extensions<V>`. */
export function readExtensions(r: TlsReader): Extension[] {
  return r.vector('varint', (er) => ({
    extensionType: er.uint16(),
    extensionData: readOpaque(er),
  }));
}

/** ExternalSender (RFC 9420 §12.1.8.1): a party outside the group allowed to send proposals. */
export interface ExternalSender {
  readonly signatureKey: Uint8Array;
  readonly credential: Credential;
}

/** The external senders listed in `extensions`, or none when there is no such extension. */
export function externalSenders(extensions: readonly Extension[]): ExternalSender[] {
  const found = extensions.find((e) => e.extensionType === ExtensionType.externalSenders);
  if (found === undefined) return [];
  return decodeWith(found.extensionData, 'external_senders', (r) =>
    r.vector('varint', (er) => ({ signatureKey: readOpaque(er), credential: readCredential(er) })),
  );
}
