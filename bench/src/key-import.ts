import { createPublicKey } from 'node:crypto';
import { keyImporterFor, type KeyImportRoute } from '@parley/primitives-node';
import type { Benchmark } from './harness.js';

/**
 * Raw X25519/Ed25519 bytes to a node:crypto KeyObject by each route this runtime supports
 * (packages/primitives-node/src/key-objects.ts): `raw` formats (Node 24), a placeholder-`x` JWK
 * (private keys on Node 20 only) and RFC 8410 DER. The subject is the route; the node backend uses the first.
 */
export function keyImportBenchmarks(): Benchmark[] {
  const privateKey = new Uint8Array(32).fill(7);
  const publicKey = new Uint8Array(32).fill(9);
  const list: Benchmark[] = [];
  for (const route of ['raw', 'jwk', 'der'] as const satisfies readonly KeyImportRoute[]) {
    const importer = keyImporterFor(route);
    if (importer === undefined) continue;
    for (const curve of ['X25519', 'Ed25519'] as const) {
      list.push(
        {
          group: `key import ${curve} private`,
          subject: route,
          run: () => importer.privateKey(curve, privateKey),
        },
        {
          group: `key import ${curve} public`,
          subject: route,
          run: () => importer.publicKey(curve, publicKey),
        },
      );
    }
  }
  // Where the JWK route is out (Node 24 refuses its private keys), a public JWK still imports:
  // measured so raw and JWK public imports compare on every runtime.
  if (keyImporterFor('jwk') === undefined) {
    const x = Buffer.from(publicKey).toString('base64url');
    for (const crv of ['X25519', 'Ed25519'] as const)
      list.push({
        group: `key import ${crv} public`,
        subject: 'jwk',
        run: () => createPublicKey({ key: { kty: 'OKP', crv, x }, format: 'jwk' }),
      });
  }
  // Group the rows per key kind, routes side by side.
  return list.sort((a, b) => a.group.localeCompare(b.group));
}
