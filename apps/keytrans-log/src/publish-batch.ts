/**
 * The relay bridge's batch of publications (`POST /kt/v1/publish`, Parley's internal API, not
 * -05): many `label → value` pairs in one request, each meaning "make `value` the label's
 * greatest version unless it already is". The log answers once their entry is on disk, with
 * the index and error code of each pair it refused. TLS presentation:
 *
 *   struct { opaque label<0..2^8-1>; opaque value<0..2^32-1>; } Publication;
 *   struct { Publication items<0..2^32-1>; } PublishBatch;   // u32 count prefix
 */
import { TlsReader, TlsWriter } from '@parley/bytes';
import { KeyTransError, decode, limits } from '@parley/keytrans';

/** Most publications in one batch (a log entry holds at most `MAX_ENTRY_ADDITIONS`). */
export const MAX_PUBLISH_BATCH = 4096;
/** Most bytes of one encoded batch (under the log service's body limit). */
export const MAX_PUBLISH_BATCH_BYTES = 512 * 1024;

export interface Publication {
  readonly label: Uint8Array;
  readonly value: Uint8Array;
}

/** One refused publication: its index in the batch and a `KeyTransError` code. */
export interface PublishFailure {
  readonly index: number;
  readonly code: string;
}

/** Bytes one publication takes in a batch. */
export function publicationBytes(p: Publication): number {
  return 1 + p.label.length + 4 + p.value.length;
}

export function encodePublishBatch(items: readonly Publication[]): Uint8Array {
  if (items.length > MAX_PUBLISH_BATCH)
    throw new KeyTransError('LIMIT_EXCEEDED', 'too many publications in one batch');
  const writer = new TlsWriter();
  writer.uint32(items.length);
  for (const p of items) {
    if (p.label.length > limits.MAX_LABEL_BYTES || p.value.length > limits.MAX_VALUE_BYTES)
      throw new KeyTransError('LIMIT_EXCEEDED', 'label or value is too long');
    writer.opaque('u8', p.label);
    writer.opaque('u32', p.value);
  }
  return writer.finish();
}

export function decodePublishBatch(bytes: Uint8Array): Publication[] {
  if (bytes.length > MAX_PUBLISH_BATCH_BYTES)
    throw new KeyTransError('LIMIT_EXCEEDED', 'publish batch is too large');
  return decode(bytes, (reader: TlsReader) => {
    const count = reader.uint32();
    if (count > MAX_PUBLISH_BATCH)
      throw new KeyTransError('LIMIT_EXCEEDED', 'too many publications in one batch');
    const items: Publication[] = [];
    for (let i = 0; i < count; i++) {
      const label = reader.opaque('u8');
      const value = reader.opaque('u32');
      if (value.length > limits.MAX_VALUE_BYTES)
        throw new KeyTransError('LIMIT_EXCEEDED', 'value is too long');
      items.push({ label, value });
    }
    return items;
  });
}
