/** Prekeys: upload, counts with the low-water signal, and bundles that consume one-time keys. */
import type { FastifyInstance } from 'fastify';
import { ROUTES, type OneTimePreKey, type SignedPreKey } from '@parley/api';
import { fromBase64, toBase64 } from '@parley/bytes';
import type { RelayContext } from '../context.js';
import { RelayError } from '../errors.js';
import { deviceChannel } from '../fanout/types.js';
import { LOW_ONE_TIME_KEYS, MAX_ONE_TIME_KEYS_PER_DEVICE } from '../limits.js';
import { registerRoute, type Authenticate } from '../route.js';
import type { KeyRecord } from '../storage/types.js';

const EMPTY = new Uint8Array(0);

const signedRecord = (k: SignedPreKey): KeyRecord => ({
  keyId: k.keyId,
  publicKey: fromBase64(k.publicKey),
  signature: fromBase64(k.signature),
});
const oneTimeRecord = (k: OneTimePreKey): KeyRecord => ({
  keyId: k.keyId,
  publicKey: fromBase64(k.publicKey),
  signature: EMPTY,
});
const signedWire = (k: KeyRecord): SignedPreKey => ({
  keyId: k.keyId,
  publicKey: toBase64(k.publicKey),
  signature: toBase64(k.signature),
});

export function keyRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  authenticate: Authenticate,
): void {
  const { storage, fanOut } = ctx;

  registerRoute(app, authenticate, ROUTES.uploadKeys, async (req, auth) => {
    const { accountId, deviceId } = auth;
    const body = req.body;
    const ec = (body.preKeys ?? []).map(oneTimeRecord);
    const kyber = (body.kyberPreKeys ?? []).map(signedRecord);
    await storage.transact(async (w) => {
      if (
        (await w.keys.count(accountId, deviceId, 'ec')) + ec.length >
          MAX_ONE_TIME_KEYS_PER_DEVICE ||
        (await w.keys.count(accountId, deviceId, 'kyber')) + kyber.length >
          MAX_ONE_TIME_KEYS_PER_DEVICE
      ) {
        throw new RelayError('TOO_MANY_KEYS', 'too many one-time keys stored');
      }
      if (body.signedPreKey !== undefined) {
        await w.keys.setSigned(accountId, deviceId, 'ec-signed', signedRecord(body.signedPreKey));
      }
      if (body.kyberLastResortPreKey !== undefined) {
        await w.keys.setSigned(
          accountId,
          deviceId,
          'kyber-last-resort',
          signedRecord(body.kyberLastResortPreKey),
        );
      }
      if (ec.length > 0) await w.keys.addOneTime(accountId, deviceId, 'ec', ec);
      if (kyber.length > 0) await w.keys.addOneTime(accountId, deviceId, 'kyber', kyber);
    });
    return undefined;
  });

  registerRoute(app, authenticate, ROUTES.keyCounts, async (_req, auth) => {
    const { accountId, deviceId } = auth;
    const r = storage.reader.keys;
    const preKeys = await r.count(accountId, deviceId, 'ec');
    const kyberPreKeys = await r.count(accountId, deviceId, 'kyber');
    return {
      preKeys,
      kyberPreKeys,
      hasSignedPreKey: (await r.signed(accountId, deviceId, 'ec-signed')) !== undefined,
      hasKyberLastResortPreKey:
        (await r.signed(accountId, deviceId, 'kyber-last-resort')) !== undefined,
      low: preKeys < LOW_ONE_TIME_KEYS || kyberPreKeys < LOW_ONE_TIME_KEYS,
    };
  });

  registerRoute(app, authenticate, ROUTES.getPreKeyBundle, async (req) => {
    const { accountId } = req.params;
    const only = req.query.deviceId;
    const account = await storage.reader.accounts.byId(accountId);
    if (account === undefined) throw new RelayError('ACCOUNT_NOT_FOUND', 'no such account');
    const low: number[] = [];
    const devices = await storage.transact(async (w) => {
      const all = await w.devices.list(accountId);
      const chosen = only === undefined ? all : all.filter((d) => d.deviceId === only);
      if (chosen.length === 0) throw new RelayError('DEVICE_NOT_FOUND', 'no such device');
      const out = [];
      for (const d of chosen) {
        const signed = await w.keys.signed(accountId, d.deviceId, 'ec-signed');
        const preKey = await w.keys.takeOneTime(accountId, d.deviceId, 'ec');
        const oneTimeKyber = await w.keys.takeOneTime(accountId, d.deviceId, 'kyber');
        const kyber =
          oneTimeKyber ?? (await w.keys.signed(accountId, d.deviceId, 'kyber-last-resort'));
        const ecLeft = await w.keys.count(accountId, d.deviceId, 'ec');
        const kyberLeft = await w.keys.count(accountId, d.deviceId, 'kyber');
        if (ecLeft < LOW_ONE_TIME_KEYS || kyberLeft < LOW_ONE_TIME_KEYS) low.push(d.deviceId);
        out.push({
          deviceId: d.deviceId,
          registrationId: d.registrationId,
          identityKey: toBase64(d.identityKey),
          signedPreKey: signed === undefined ? null : signedWire(signed),
          kyberPreKey:
            kyber === undefined
              ? null
              : { ...signedWire(kyber), lastResort: oneTimeKyber === undefined },
          preKey:
            preKey === undefined
              ? null
              : { keyId: preKey.keyId, publicKey: toBase64(preKey.publicKey) },
        });
      }
      return out;
    });
    for (const deviceId of low) {
      await fanOut.publish(deviceChannel(accountId, deviceId), { kind: 'keys-low' });
    }
    return { accountId, identityKey: toBase64(account.identityKey), devices };
  });
}
