import type { TlsWriter } from '@parley/bytes';
import { writeConfiguration, writePrefixLeaf, writeUpdateValue } from './codec.js';
import { encode, writeHash, writeLabel, writeU64 } from './codec-primitives.js';
import { KeyTransError } from './errors.js';
import type { Configuration, UpdateValue } from './structures.js';
import { OPENING_LENGTH, type Suite, COMMITMENT_KEY } from './suite.js';

/** The to-be-signed and to-be-hashed structures of -05 §9. */

/** TreeHeadTBS. */
export function treeHeadTbs(config: Configuration, treeSize: number, root: Uint8Array): Uint8Array {
  return encode((w) => {
    writeConfiguration(w, config);
    writeU64(w, treeSize);
    writeHash(w, root);
  });
}

/** AuditorTreeHeadTBS. */
export function auditorTreeHeadTbs(
  config: Configuration,
  timestamp: number,
  treeSize: number,
  root: Uint8Array,
): Uint8Array {
  return encode((w) => {
    writeConfiguration(w, config);
    writeU64(w, timestamp);
    writeU64(w, treeSize);
    writeHash(w, root);
  });
}

/** UpdateTBS (third-party management). */
export function updateTbs(
  config: Configuration,
  label: Uint8Array,
  version: number,
  value: Uint8Array,
): Uint8Array {
  return encode((w) => {
    writeConfiguration(w, config);
    writeLabel(w, label);
    w.uint32(version);
    w.opaque('u32', value);
  });
}

/** VrfInput: the VRF's alpha for a label-version pair. */
export function vrfInput(label: Uint8Array, version: number): Uint8Array {
  return encode((w) => {
    writeLabel(w, label);
    w.uint32(version);
  });
}

/** CommitmentValue. */
export function commitmentValue(
  mode: Configuration['mode'],
  opening: Uint8Array,
  label: Uint8Array,
  version: number,
  update: UpdateValue,
): Uint8Array {
  if (opening.length !== OPENING_LENGTH)
    throw new KeyTransError('MISUSE', 'opening must be 16 bytes');
  return encode((w: TlsWriter) => {
    w.bytes(opening);
    writeLabel(w, label);
    w.uint32(version);
    writeUpdateValue(w, mode, update);
  });
}

/** commitment = HMAC(Kc, CommitmentValue) (-05 §9.6). */
export function commit(
  suite: Suite,
  mode: Configuration['mode'],
  opening: Uint8Array,
  label: Uint8Array,
  version: number,
  update: UpdateValue,
): Uint8Array {
  return suite.hmac(COMMITMENT_KEY, commitmentValue(mode, opening, label, version, update));
}

/** The leaf value of a log entry: Hash(LogEntry{timestamp, prefix_tree}). */
export function logEntryHash(suite: Suite, timestamp: number, prefixRoot: Uint8Array): Uint8Array {
  return suite.hash(
    encode((w) => {
      writeU64(w, timestamp);
      writeHash(w, prefixRoot);
    }),
  );
}

/** The prefix-tree leaf value: Hash(0x02 ‖ vrf_output ‖ commitment). */
export function prefixLeafHash(
  suite: Suite,
  vrfOutput: Uint8Array,
  commitment: Uint8Array,
): Uint8Array {
  return suite.hash(
    encode((w) => {
      w.uint8(0x02);
      writePrefixLeaf(w, { vrfOutput, commitment });
    }),
  );
}
