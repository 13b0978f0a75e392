import { deepStrictEqual, ok, strictEqual, throws } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fromBase64, toBase64, utf8Decode, utf8Encode } from '@parley/bytes';
import { generateIdentityKeyPair, serializePublicKey } from '@parley/protocol';
import { signDeviceList, verifyDeviceList, type DeviceList } from '../src/device-list.js';
import { ClientError } from '../src/errors.js';
import { primitives as p } from './harness.js';

const account = generateIdentityKeyPair(p);
const device = serializePublicKey(generateIdentityKeyPair(p).publicKey);
const list = (version: number): DeviceList => ({
  accountId: 'acc-1',
  version,
  timestamp: 1,
  devices: [{ deviceId: 1, identityKey: device }],
});
const untrusted = (e: unknown) => e instanceof ClientError && e.code === 'UNTRUSTED_DEVICES';

test('a signed device list verifies and round-trips', () => {
  const got = verifyDeviceList(
    p,
    account.publicKey,
    'acc-1',
    signDeviceList(p, account.privateKey, list(3)),
    3,
  );
  strictEqual(got.version, 3);
  deepStrictEqual(got.devices, list(3).devices);
});

test('an older version (a replayed list) is refused', () => {
  const blob = signDeviceList(p, account.privateKey, list(2));
  throws(() => verifyDeviceList(p, account.publicKey, 'acc-1', blob, 3), untrusted);
});

test('a list signed by another key, or for another account, is refused', () => {
  const other = generateIdentityKeyPair(p);
  throws(
    () =>
      verifyDeviceList(
        p,
        account.publicKey,
        'acc-1',
        signDeviceList(p, other.privateKey, list(1)),
        0,
      ),
    untrusted,
  );
  throws(
    () =>
      verifyDeviceList(
        p,
        account.publicKey,
        'acc-2',
        signDeviceList(p, account.privateKey, list(1)),
        0,
      ),
    untrusted,
  );
});

test('a device added to a signed payload after signing breaks the signature', () => {
  const outer = JSON.parse(
    utf8Decode(fromBase64(signDeviceList(p, account.privateKey, list(1)))),
  ) as {
    payload: string;
    signature: string;
  };
  const body = JSON.parse(utf8Decode(fromBase64(outer.payload))) as { devices: unknown[] };
  body.devices.push({ deviceId: 9, identityKey: toBase64(device) });
  const tampered = toBase64(
    utf8Encode(
      JSON.stringify({
        payload: toBase64(utf8Encode(JSON.stringify(body))),
        signature: outer.signature,
      }),
    ),
  );
  throws(() => verifyDeviceList(p, account.publicKey, 'acc-1', tampered, 0), untrusted);
  throws(() => verifyDeviceList(p, account.publicKey, 'acc-1', 'not base64 json', 0), untrusted);
});

test('a device list carries each device MLS signature key (format 2)', () => {
  const mlsKey = p.ed25519.generateKeyPair().publicKey;
  const withMls: DeviceList = {
    ...list(5),
    devices: [{ deviceId: 1, identityKey: device, mlsSignatureKey: mlsKey }],
  };
  const got = verifyDeviceList(
    p,
    account.publicKey,
    'acc-1',
    signDeviceList(p, account.privateKey, withMls),
    0,
  );
  deepStrictEqual(got.devices, withMls.devices);
});

interface Fixture {
  accountId: string;
  accountKey: string;
  format1: { blob: string; version: number; devices: Record<string, unknown>[] };
  format2: { blob: string; version: number; devices: Record<string, unknown>[] };
}

test('checked-in lists of both formats still verify (fixtures/device-lists.json)', () => {
  const f = JSON.parse(
    readFileSync(new URL('fixtures/device-lists.json', import.meta.url), 'utf8'),
  ) as Fixture;
  const key = fromBase64(f.accountKey);
  for (const format of [f.format1, f.format2]) {
    const got = verifyDeviceList(p, key, f.accountId, format.blob, 0);
    strictEqual(got.version, format.version);
    deepStrictEqual(
      got.devices.map((d) => ({
        deviceId: d.deviceId,
        identityKey: toBase64(d.identityKey),
        ...(d.mlsSignatureKey && { mlsSignatureKey: toBase64(d.mlsSignatureKey) }),
      })),
      format.devices,
    );
  }
  // Format 1 carries no MLS keys: its devices can never be group members.
  ok(
    verifyDeviceList(p, key, f.accountId, f.format1.blob, 0).devices.every(
      (d) => !d.mlsSignatureKey,
    ),
  );
});
