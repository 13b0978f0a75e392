/** Accounts, devices, linking, the signed device list and provisioning channels. */
import type { FastifyInstance } from 'fastify';
import { ROUTES, limits } from '@parley/api';
import { fromBase64, toBase64 } from '@parley/bytes';
import type { RelayContext } from '../context.js';
import { hashSecret, hashToken, newId, randomToken } from '../credentials.js';
import { RelayError } from '../errors.js';
import { deviceChannel } from '../fanout/types.js';
import { LINK_TOKEN_TTL_MS, PROVISIONING_TTL_MS } from '../limits.js';
import { ProvisioningWaiters } from '../provisioning-waiters.js';
import { registerRoute, type Authenticate } from '../route.js';
import { UsernameTakenError, type DeviceRecord } from '../storage/types.js';
import type { NewDevice } from '@parley/api';

const PRIMARY_DEVICE_ID = 1;

function deviceRecord(
  accountId: string,
  deviceId: number,
  d: NewDevice,
  now: number,
): DeviceRecord {
  return {
    accountId,
    deviceId,
    registrationId: d.registrationId,
    identityKey: fromBase64(d.identityKey),
    secretHash: hashSecret(fromBase64(d.secret)),
    createdAt: now,
  };
}

export function accountRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  authenticate: Authenticate,
): void {
  const { storage, fanOut, now } = ctx;
  const waiters = new ProvisioningWaiters();
  app.addHook('preClose', () => {
    waiters.close();
    return Promise.resolve();
  });

  registerRoute(app, authenticate, ROUTES.createAccount, async (req) => {
    const body = req.body;
    const accountId = newId();
    const t = now();
    const identityKey = fromBase64(body.identityKey);
    const device = deviceRecord(accountId, PRIMARY_DEVICE_ID, body.device, t);
    try {
      await storage.transact(async (w) => {
        await w.accounts.create({
          accountId,
          username: body.username.toLowerCase(),
          identityKey,
          createdAt: t,
        });
        await w.devices.add(device);
      });
    } catch (error) {
      if (error instanceof UsernameTakenError)
        throw new RelayError('USERNAME_TAKEN', 'username taken');
      throw error;
    }
    await ctx.keyTransparency?.publish({
      kind: 'registered',
      accountId,
      username: body.username.toLowerCase(),
      identityKey,
    });
    return { accountId, deviceId: PRIMARY_DEVICE_ID };
  });

  const accountResponse = async (
    account: { accountId: string; username: string; identityKey: Uint8Array } | undefined,
  ) => {
    if (account === undefined) throw new RelayError('ACCOUNT_NOT_FOUND', 'no such account');
    return Promise.resolve({
      accountId: account.accountId,
      username: account.username,
      identityKey: toBase64(account.identityKey),
    });
  };

  registerRoute(app, authenticate, ROUTES.getAccountByUsername, async (req) =>
    accountResponse(await storage.reader.accounts.byUsername(req.params.username.toLowerCase())),
  );

  registerRoute(app, authenticate, ROUTES.getAccount, async (req) =>
    accountResponse(await storage.reader.accounts.byId(req.params.accountId)),
  );

  registerRoute(app, authenticate, ROUTES.deleteAccount, async (_req, auth) => {
    const account = await storage.reader.accounts.byId(auth.accountId);
    const devices = await storage.transact(async (w) => {
      const list = await w.devices.list(auth.accountId);
      await w.accounts.delete(auth.accountId);
      return list;
    });
    await ctx.blobs.deleteAccount(auth.accountId);
    if (account !== undefined)
      await ctx.keyTransparency?.publish({
        kind: 'deleted',
        accountId: auth.accountId,
        username: account.username,
      });
    for (const d of devices) {
      await fanOut.publish(deviceChannel(d.accountId, d.deviceId), { kind: 'device-removed' });
    }
    return undefined;
  });

  registerRoute(app, authenticate, ROUTES.listDevices, async (_req, auth) => {
    const devices = await storage.reader.devices.list(auth.accountId);
    return {
      devices: devices.map((d) => ({
        deviceId: d.deviceId,
        registrationId: d.registrationId,
        identityKey: toBase64(d.identityKey),
        createdAt: d.createdAt,
      })),
    };
  });

  registerRoute(app, authenticate, ROUTES.createLinkToken, async (_req, auth) => {
    const linkToken = randomToken();
    const expiresAt = now() + LINK_TOKEN_TTL_MS;
    await storage.transact((w) =>
      w.linkTokens.put({ tokenHash: hashToken(linkToken), accountId: auth.accountId, expiresAt }),
    );
    return { linkToken, expiresAt };
  });

  registerRoute(app, authenticate, ROUTES.linkDevice, async (req) => {
    const t = now();
    return storage.transact(async (w) => {
      const token = await w.linkTokens.take(hashToken(req.body.linkToken), t);
      if (token === undefined) throw new RelayError('LINK_TOKEN_INVALID', 'link token invalid');
      const taken = new Set((await w.devices.list(token.accountId)).map((d) => d.deviceId));
      let deviceId = 0;
      for (let id = 1; id <= limits.MAX_DEVICE_ID; id++) {
        if (!taken.has(id)) {
          deviceId = id;
          break;
        }
      }
      if (deviceId === 0 || taken.size >= limits.MAX_DEVICES_PER_ACCOUNT) {
        throw new RelayError('TOO_MANY_DEVICES', 'too many devices');
      }
      await w.devices.add(deviceRecord(token.accountId, deviceId, req.body.device, t));
      return { accountId: token.accountId, deviceId };
    });
  });

  registerRoute(app, authenticate, ROUTES.removeDevice, async (req, auth) => {
    const target = req.params.deviceId;
    if (
      target === PRIMARY_DEVICE_ID ||
      (target !== auth.deviceId && auth.deviceId !== PRIMARY_DEVICE_ID)
    ) {
      throw new RelayError('FORBIDDEN', 'not allowed to remove this device');
    }
    await storage.transact(async (w) => {
      if ((await w.devices.get(auth.accountId, target)) === undefined) {
        throw new RelayError('DEVICE_NOT_FOUND', 'no such device');
      }
      await w.devices.remove(auth.accountId, target);
    });
    await fanOut.publish(deviceChannel(auth.accountId, target), { kind: 'device-removed' });
    return undefined;
  });

  registerRoute(app, authenticate, ROUTES.putDeviceList, async (req, auth) => {
    const { version } = req.body;
    const blob = fromBase64(req.body.blob);
    await storage.transact(async (w) => {
      const current = await w.deviceLists.get(auth.accountId);
      if (current !== undefined && version <= current.version) {
        throw new RelayError('DEVICE_LIST_VERSION_STALE', 'device list version must increase');
      }
      await w.deviceLists.put({ accountId: auth.accountId, version, blob });
    });
    await ctx.keyTransparency?.publish({
      kind: 'device-list',
      accountId: auth.accountId,
      version,
      blob,
    });
    return undefined;
  });

  registerRoute(app, authenticate, ROUTES.changeAccountKey, async (req, auth) => {
    const identityKey = fromBase64(req.body.identityKey);
    const { version } = req.body.deviceList;
    const blob = fromBase64(req.body.deviceList.blob);
    await storage.transact(async (w) => {
      const current = await w.deviceLists.get(auth.accountId);
      if (current !== undefined && version <= current.version) {
        throw new RelayError('DEVICE_LIST_VERSION_STALE', 'device list version must increase');
      }
      await w.accounts.setIdentityKey(auth.accountId, identityKey);
      await w.deviceLists.put({ accountId: auth.accountId, version, blob });
    });
    await ctx.keyTransparency?.publish({
      kind: 'account-key',
      accountId: auth.accountId,
      identityKey,
      deviceList: { version, blob },
    });
    return undefined;
  });

  registerRoute(app, authenticate, ROUTES.getDeviceList, async (req) => {
    const { accountId } = req.params;
    if ((await storage.reader.accounts.byId(accountId)) === undefined) {
      throw new RelayError('ACCOUNT_NOT_FOUND', 'no such account');
    }
    const list = await storage.reader.deviceLists.get(accountId);
    if (list === undefined) throw new RelayError('DEVICE_LIST_NOT_FOUND', 'no device list');
    return { version: list.version, blob: toBase64(list.blob) };
  });

  registerRoute(app, authenticate, ROUTES.openProvisioning, async () => {
    const channelId = randomToken();
    const expiresAt = now() + PROVISIONING_TTL_MS;
    await storage.transact((w) => w.provisioning.open({ channelId, ciphertext: null, expiresAt }));
    return { channelId, expiresAt };
  });

  registerRoute(app, authenticate, ROUTES.sendProvisioning, async (req) => {
    const ciphertext = fromBase64(req.body.ciphertext);
    const ok = await storage.transact((w) =>
      w.provisioning.deliver(req.params.channelId, ciphertext, now()),
    );
    if (!ok) throw new RelayError('PROVISIONING_NOT_FOUND', 'no such provisioning channel');
    waiters.notify(req.params.channelId);
    return undefined;
  });

  registerRoute(app, authenticate, ROUTES.pollProvisioning, async (req) => {
    const { channelId } = req.params;
    let channel = await storage.reader.provisioning.get(channelId, now());
    if (channel?.ciphertext === null) {
      await waiters.wait(channelId, (req.query.waitSeconds ?? 0) * 1000);
      channel = await storage.reader.provisioning.get(channelId, now());
    }
    if (channel === undefined)
      throw new RelayError('PROVISIONING_NOT_FOUND', 'no such provisioning channel');
    if (channel.ciphertext === null) return { ciphertext: null };
    await storage.transact((w) => w.provisioning.close(channelId));
    return { ciphertext: toBase64(channel.ciphertext) };
  });
}
