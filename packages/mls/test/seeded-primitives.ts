// Primitives whose randomness is a deterministic function of a seed, through the backends'
// own `randomBytes` option, so tests and fixtures reproduce byte for byte: random bytes are
// SHA-256(seed ‖ counter) blocks. Test-only.
import { concatBytes, uint32BE } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { createNodePrimitives } from '@parley/primitives-node';

export function seededNodePrimitives(seed: Uint8Array): Primitives {
  const hasher = createNodePrimitives();
  let counter = 0;
  const randomBytes = (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += 32) {
      const block = hasher.hash('sha256', concatBytes(seed, uint32BE(counter++)));
      out.set(block.subarray(0, Math.min(32, length - offset)), offset);
    }
    return out;
  };
  return createNodePrimitives({ randomBytes });
}
