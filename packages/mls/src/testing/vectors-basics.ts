import { TlsReader } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { MlsCrypto } from '../mls-crypto.js';
import {
  left,
  nodeIndex,
  nodeWidth,
  parent,
  right,
  root,
  sibling,
  type NodeIndex,
} from '../tree-math.js';
import type { MlsVectorCase } from './vector-case.js';
import { perEntryCases, perSuiteCases } from './vector-case.js';
import {
  asInteger,
  expectBytes,
  expectEqual,
  getArray,
  getHex,
  getInteger,
  getObject,
  getString,
  VectorMismatchError,
  type JsonObject,
} from './vector-json.js';
import { getPrivateKey } from './vector-keys.js';

function optionalIndex(value: unknown, what: string): number | undefined {
  return value === null ? undefined : asInteger(value, what);
}

function orUndefined(f: () => NodeIndex): number | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** tree-math.json: node count, root, and left/right/parent/sibling of every node. */
export function treeMathCases(data: unknown): MlsVectorCase[] {
  return perEntryCases(
    data,
    (e, i) => `vector ${i} (${String(e['n_leaves'])} leaves)`,
    (e) => {
      const n = getInteger(e, 'n_leaves');
      expectEqual(nodeWidth(n), getInteger(e, 'n_nodes'), 'n_nodes');
      expectEqual(root(n), getInteger(e, 'root'), 'root');
      const relations: readonly [string, (x: NodeIndex) => NodeIndex][] = [
        ['left', left],
        ['right', right],
        ['parent', (x) => parent(x, n)],
        ['sibling', (x) => sibling(x, n)],
      ];
      for (const [key, relation] of relations) {
        const expected = getArray(e, key);
        expectEqual(expected.length, nodeWidth(n), `${key} length`);
        expected.forEach((value, i) => {
          const want = optionalIndex(value, `${key}[${i}]`);
          expectEqual(
            orUndefined(() => relation(nodeIndex(i))),
            want,
            `${key}(${i})`,
          );
        });
      }
    },
  );
}

/** crypto-basics.json: RefHash, ExpandWithLabel, DeriveSecret, DeriveTreeSecret, signatures, HPKE. */
export function cryptoBasicsCases(data: unknown, p: Primitives): MlsVectorCase[] {
  return perSuiteCases(data, (e: JsonObject, suite) => {
    const c = new MlsCrypto(p, suite);

    const ref = getObject(e, 'ref_hash');
    expectBytes(
      c.refHash(getString(ref, 'label'), getHex(ref, 'value')),
      getHex(ref, 'out'),
      'RefHash',
    );

    const ewl = getObject(e, 'expand_with_label');
    expectBytes(
      c.expandWithLabel(
        getHex(ewl, 'secret'),
        getString(ewl, 'label'),
        getHex(ewl, 'context'),
        getInteger(ewl, 'length'),
      ),
      getHex(ewl, 'out'),
      'ExpandWithLabel',
    );

    const ds = getObject(e, 'derive_secret');
    expectBytes(
      c.deriveSecret(getHex(ds, 'secret'), getString(ds, 'label')),
      getHex(ds, 'out'),
      'DeriveSecret',
    );

    const dts = getObject(e, 'derive_tree_secret');
    expectBytes(
      c.deriveTreeSecret(
        getHex(dts, 'secret'),
        getString(dts, 'label'),
        getInteger(dts, 'generation'),
        getInteger(dts, 'length'),
      ),
      getHex(dts, 'out'),
      'DeriveTreeSecret',
    );

    const swl = getObject(e, 'sign_with_label');
    const label = getString(swl, 'label');
    const content = getHex(swl, 'content');
    const pub = getHex(swl, 'pub');
    expectBytes(c.signaturePublicKey(getPrivateKey(c, swl, 'priv')), pub, 'signature public key');
    expectEqual(
      c.verifyWithLabel(pub, label, content, getHex(swl, 'signature')),
      true,
      'VerifyWithLabel(vector)',
    );
    const ours = c.signWithLabel(getPrivateKey(c, swl, 'priv'), label, content);
    expectEqual(
      c.verifyWithLabel(pub, label, content, ours),
      true,
      'VerifyWithLabel(SignWithLabel)',
    );
    expectEqual(
      c.verifyWithLabel(pub, `${label}x`, content, ours),
      false,
      'VerifyWithLabel(other label)',
    );

    const ewl2 = getObject(e, 'encrypt_with_label');
    const priv = getPrivateKey(c, ewl2, 'priv');
    const encLabel = getString(ewl2, 'label');
    const context = getHex(ewl2, 'context');
    const plaintext = getHex(ewl2, 'plaintext');
    expectBytes(c.kemPublicKey(priv), getHex(ewl2, 'pub'), 'HPKE public key');
    const given = { kemOutput: getHex(ewl2, 'kem_output'), ciphertext: getHex(ewl2, 'ciphertext') };
    expectBytes(
      c.decryptWithLabel(priv, encLabel, context, given),
      plaintext,
      'DecryptWithLabel(vector)',
    );
    const sealed = c.encryptWithLabel(getHex(ewl2, 'pub'), encLabel, context, plaintext);
    expectBytes(
      c.decryptWithLabel(priv, encLabel, context, sealed),
      plaintext,
      'DecryptWithLabel(EncryptWithLabel)',
    );
  });
}

/** deserialization.json: MLS variable-length vector headers decode to the stated length. */
export function deserializationCases(data: unknown): MlsVectorCase[] {
  return perEntryCases(
    data,
    (e, i) => `vector ${i} (header ${String(e['vlbytes_header'])})`,
    (e) => {
      const reader = new TlsReader(getHex(e, 'vlbytes_header'));
      const length = reader.varint();
      if (reader.remaining !== 0) throw new VectorMismatchError('header has extra bytes');
      expectEqual(length, getInteger(e, 'length'), 'length');
    },
  );
}
