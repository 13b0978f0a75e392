import type { HashAlgorithm, Primitives } from '../primitives.js';
import type { ConformanceCase } from './conformance-case.js';
import { attempt, describeError, expectBytes, expectTrue } from './check.js';
import { ascii, counting, hex, repeat } from './test-bytes.js';

const SHA384_ABC =
  'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163' +
  '1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7';

/** FIPS 180-4 examples (NIST CSRC "Examples with Intermediate Values"): "abc" and "". */
const SHA_VECTORS: readonly { algorithm: HashAlgorithm; input: string; digest: string }[] = [
  {
    algorithm: 'sha256',
    input: 'abc',
    digest: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  },
  {
    algorithm: 'sha256',
    input: '',
    digest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  },
  {
    algorithm: 'sha384',
    input: 'abc',
    digest:
      'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed' +
      '8086072ba1e7cc2358baeca134c825a7',
  },
  {
    algorithm: 'sha384',
    input: '',
    digest:
      '38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da' +
      '274edebfe76f65fbd51ad2f14898b95b',
  },
  {
    algorithm: 'sha512',
    input: 'abc',
    digest:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a' +
      '2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
  },
  {
    algorithm: 'sha512',
    input: '',
    digest:
      'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce' +
      '47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
  },
];

const RFC4231_LARGE_KEY_LENGTH = 131;

/** RFC 4231 §4.2–4.8. Test case 5's MAC is truncated to 128 bits in the RFC. */
const HMAC_VECTORS: readonly {
  id: number;
  key: Uint8Array;
  data: Uint8Array;
  sha256: string;
  sha384: string;
  sha512: string;
}[] = [
  {
    id: 1,
    key: repeat(0x0b, 20),
    data: ascii('Hi There'),
    sha256: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    sha384:
      'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c' +
      'faea9ea9076ede7f4af152e8b2fa9cb6',
    sha512:
      '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde' +
      'daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854',
  },
  {
    id: 2,
    key: ascii('Jefe'),
    data: ascii('what do ya want for nothing?'),
    sha256: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    sha384:
      'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e' +
      '8e2240ca5e69e2c78b3239ecfab21649',
    sha512:
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554' +
      '9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
  },
  {
    id: 3,
    key: repeat(0xaa, 20),
    data: repeat(0xdd, 50),
    sha256: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
    sha384:
      '88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b' +
      '2a5ab39dc13814b94e3ab6e101a34f27',
    sha512:
      'fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39' +
      'bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb',
  },
  {
    id: 4,
    key: counting(0x01, 25),
    data: repeat(0xcd, 50),
    sha256: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    sha384:
      '3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e' +
      '6801dd23c4a7d679ccf8a386c674cffb',
    sha512:
      'b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db' +
      'a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd',
  },
  {
    id: 5,
    key: repeat(0x0c, 20),
    data: ascii('Test With Truncation'),
    sha256: 'a3b6167473100ee06e0c796c2955552b',
    sha384: '3abf34c3503b2a23a46efc619baef897',
    sha512: '415fad6271580a531d4179bc891d87a6',
  },
  {
    id: 6,
    key: repeat(0xaa, RFC4231_LARGE_KEY_LENGTH),
    data: ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
    sha256: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    sha384:
      '4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6' +
      '0c2ef6ab4030fe8296248df163f44952',
    sha512:
      '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352' +
      '6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598',
  },
  {
    id: 7,
    key: repeat(0xaa, RFC4231_LARGE_KEY_LENGTH),
    data: ascii(
      'This is a test using a larger than block-size key and a larger than block-size data. ' +
        'The key needs to be hashed before being used by the HMAC algorithm.',
    ),
    sha256: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    sha384:
      '6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5' +
      'a678cc31e799176d3860e6110c46523e',
    sha512:
      'e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944' +
      'b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58',
  },
];

/** RFC 5869 Appendix A.1–A.3 (HKDF-SHA-256). */
const HKDF_VECTORS: readonly {
  id: number;
  ikm: Uint8Array;
  salt: Uint8Array;
  info: Uint8Array;
  prk: string;
  okm: string;
}[] = [
  {
    id: 1,
    ikm: repeat(0x0b, 22),
    salt: counting(0x00, 13),
    info: counting(0xf0, 10),
    prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
    okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  },
  {
    id: 2,
    ikm: counting(0x00, 80),
    salt: counting(0x60, 80),
    info: counting(0xb0, 80),
    prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
    okm:
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c' +
      '59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71' +
      'cc30c58179ec3e87c14c01d5c1f3434f1d87',
  },
  {
    id: 3,
    ikm: repeat(0x0b, 22),
    salt: new Uint8Array(0),
    info: new Uint8Array(0),
    prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
    okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  },
];

/**
 * The hashes `p` must have: SHA-256 and SHA-512 always, SHA-384 where the backend has the MLS
 * curves (suite 7 needs both; noble's main entry has neither, its `mls-curves` entry both).
 */
export function requiredHashes(p: Primitives): readonly HashAlgorithm[] {
  return p.mlsCurves === undefined ? ['sha256', 'sha512'] : ['sha256', 'sha384', 'sha512'];
}

/** FIPS 180-4, RFC 4231 and RFC 5869 known answers. */
export function hashCases(p: Primitives): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  const hashes = requiredHashes(p);
  for (const v of SHA_VECTORS.filter((x) => hashes.includes(x.algorithm))) {
    const label = v.input === '' ? 'empty input' : `"${v.input}"`;
    cases.push({
      name: `FIPS 180-4 ${v.algorithm.toUpperCase()} of ${label}`,
      run: () => expectBytes(p.hash(v.algorithm, ascii(v.input)), hex(v.digest), 'digest'),
    });
  }
  for (const v of HMAC_VECTORS) {
    for (const algorithm of hashes) {
      const expected = hex(v[algorithm]);
      cases.push({
        name: `RFC 4231 §4.${v.id + 1} HMAC-${algorithm.toUpperCase()} test case ${v.id}`,
        run: () => {
          // Test case 5 publishes only the first 128 bits; the others the whole MAC.
          const mac = p.hmac(algorithm, v.key, v.data);
          expectBytes(mac.subarray(0, expected.length), expected, 'MAC');
        },
      });
    }
  }
  if (!hashes.includes('sha384')) {
    cases.push({
      name: 'SHA-384, where the backend does not promise it, is computed right or UNSUPPORTED',
      run: () => {
        const outcome = attempt(() => p.hash('sha384', ascii('abc')));
        if (outcome.ok) expectBytes(outcome.value, hex(SHA384_ABC), 'digest');
        else expectTrue(describeError(outcome.error) === 'UNSUPPORTED', 'error code');
      },
    });
  }
  cases.push(...incrementalCases(p));
  for (const v of HKDF_VECTORS) {
    const okm = hex(v.okm);
    cases.push({
      name: `RFC 5869 A.${v.id} HKDF-SHA-256 test case ${v.id} (hkdf)`,
      run: () => expectBytes(p.hkdf('sha256', v.ikm, v.salt, v.info, okm.length), okm, 'OKM'),
    });
    cases.push({
      name: `RFC 5869 A.${v.id} HKDF-SHA-256 test case ${v.id} (hkdfExtract + hkdfExpand)`,
      run: () => {
        const prk = p.hkdfExtract('sha256', v.salt, v.ikm);
        expectBytes(prk, hex(v.prk), 'PRK');
        expectBytes(p.hkdfExpand('sha256', prk, v.info, okm.length), okm, 'OKM');
      },
    });
  }
  return cases;
}

/** Split points at which the incremental forms are fed: empty pieces, single bytes, block edges. */
const SPLITS: readonly number[] = [0, 1, 63, 64, 65, 127, 128, 129];

/** `createHash` and `createHmac` give the one-shot digests however the input is split. */
function incrementalCases(p: Primitives): ConformanceCase[] {
  const data = counting(0x00, 300);
  const key = counting(0x40, 40);
  const cases: ConformanceCase[] = [];
  for (const algorithm of requiredHashes(p)) {
    const feed = (m: { update(d: Uint8Array): void; digest(): Uint8Array }, at: number) => {
      m.update(data.subarray(0, at));
      m.update(new Uint8Array(0));
      m.update(data.subarray(at));
      return m.digest();
    };
    cases.push({
      name: `incremental ${algorithm.toUpperCase()} equals the one-shot digest at every split`,
      run: () => {
        for (const at of SPLITS)
          expectBytes(feed(p.createHash(algorithm), at), p.hash(algorithm, data), 'digest');
      },
    });
    cases.push({
      name: `incremental HMAC-${algorithm.toUpperCase()} equals the one-shot MAC at every split`,
      run: () => {
        for (const at of SPLITS)
          expectBytes(feed(p.createHmac(algorithm, key), at), p.hmac(algorithm, key, data), 'MAC');
      },
    });
  }
  const abc = SHA_VECTORS[0];
  if (abc !== undefined)
    cases.push({
      name: 'incremental SHA-256 of "a", "bc" is the FIPS 180-4 digest of "abc"',
      run: () => {
        const h = p.createHash('sha256');
        h.update(ascii('a'));
        h.update(ascii('bc'));
        expectBytes(h.digest(), hex(abc.digest), 'digest');
      },
    });
  return cases;
}
