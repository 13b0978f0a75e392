/**
 * MLS groups: KeyPackages per device (one-time ones consumed, the last-resort one reused), and
 * per group the member devices, the ordered handshake log (exactly one commit accepted per
 * epoch; the others get `EPOCH_CONFLICT`) and fan-out to member device queues through the
 * normal message path. The relay sees group ids and member device ids, never contents.
 */
import type { FastifyInstance } from 'fastify';
import { GROUP_MESSAGE_TYPES, ROUTES, limits } from '@parley/api';
import { fromBase64, toBase64 } from '@parley/bytes';
import type { RelayContext } from '../context.js';
import type { DeviceIdentity } from '../credentials.js';
import { RelayError } from '../errors.js';
import { registerRoute, type Authenticate } from '../route.js';
import { GroupExistsError, type GroupRecord } from '../storage/group-types.js';
import {
  acceptCommit,
  enqueueAll,
  epochConflict,
  isMember,
  memberList,
  recipientsOf,
  requireDevices,
  wake,
} from './group-delivery.js';

async function memberGroup(
  read: (groupId: string) => Promise<GroupRecord | undefined>,
  groupId: string,
  device: DeviceIdentity,
): Promise<GroupRecord> {
  const group = await read(groupId);
  if (group === undefined) throw new RelayError('GROUP_NOT_FOUND', 'no such group');
  if (!isMember(group, device)) throw new RelayError('FORBIDDEN', 'not a member of the group');
  return group;
}

export function groupRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  authenticate: Authenticate,
): void {
  const { storage, now } = ctx;

  registerRoute(app, authenticate, ROUTES.uploadKeyPackages, async (req, auth) => {
    const { accountId, deviceId } = auth;
    const oneTime = req.body.keyPackages.map((k) => fromBase64(k));
    const lastResort =
      req.body.lastResort === undefined ? undefined : fromBase64(req.body.lastResort);
    await storage.transact(async (w) => {
      const stored = await w.mlsKeyPackages.count(accountId, deviceId);
      if (stored + oneTime.length > limits.MAX_KEY_PACKAGES_PER_DEVICE) {
        throw new RelayError('TOO_MANY_KEYS', 'too many KeyPackages stored');
      }
      await w.mlsKeyPackages.add(accountId, deviceId, oneTime);
      if (lastResort !== undefined) {
        await w.mlsKeyPackages.setLastResort(accountId, deviceId, lastResort);
      }
    });
    return undefined;
  });

  registerRoute(app, authenticate, ROUTES.keyPackageCount, async (_req, auth) => ({
    oneTime: await storage.reader.mlsKeyPackages.count(auth.accountId, auth.deviceId),
    lastResort: await storage.reader.mlsKeyPackages.hasLastResort(auth.accountId, auth.deviceId),
  }));

  registerRoute(app, authenticate, ROUTES.claimKeyPackages, async (req) => {
    const { accountId } = req.params;
    return storage.transact(async (w) => {
      if ((await w.accounts.byId(accountId)) === undefined) {
        throw new RelayError('ACCOUNT_NOT_FOUND', 'no such account');
      }
      const devices = [];
      for (const d of await w.devices.list(accountId)) {
        const claimed = await w.mlsKeyPackages.claim(accountId, d.deviceId);
        if (claimed === undefined) continue;
        devices.push({
          deviceId: d.deviceId,
          keyPackage: toBase64(claimed.keyPackage),
          lastResort: claimed.lastResort,
        });
      }
      return { accountId, devices };
    });
  });

  registerRoute(app, authenticate, ROUTES.createGroup, async (req, auth) => {
    const members = memberList(req.body.members);
    const { deliveryTokenHash } = req.body;
    const record: GroupRecord = {
      groupId: req.body.groupId,
      epoch: 0,
      members,
      createdAt: now(),
      ...(deliveryTokenHash === undefined
        ? {}
        : { deliveryTokenHash: fromBase64(deliveryTokenHash) }),
    };
    if (!isMember(record, auth)) {
      throw new RelayError('FORBIDDEN', 'the creating device must be a member');
    }
    await storage.transact(async (w) => {
      await requireDevices(w, members);
      try {
        await w.groups.create(record);
      } catch (error) {
        if (error instanceof GroupExistsError) {
          throw new RelayError('GROUP_EXISTS', 'the group id is taken');
        }
        throw error;
      }
    });
    return { groupId: record.groupId, epoch: 0, members };
  });

  registerRoute(app, authenticate, ROUTES.getGroup, async (req, auth) => {
    const group = await memberGroup(
      (id) => storage.reader.groups.get(id),
      req.params.groupId,
      auth,
    );
    return { groupId: group.groupId, epoch: group.epoch, members: [...group.members] };
  });

  registerRoute(app, authenticate, ROUTES.commitToGroup, async (req, auth) => {
    const { groupId } = req.params;
    const members = memberList(req.body.members);
    const serverTimestamp = now();
    const queued = await storage.transact(async (w) => {
      const group = await memberGroup((id) => w.groups.get(id), groupId, auth);
      return acceptCommit(ctx, w, group, { ...req.body, members }, auth, serverTimestamp);
    });
    await wake(ctx, queued);
    return { epoch: req.body.epoch + 1, serverTimestamp };
  });

  registerRoute(app, authenticate, ROUTES.groupCommits, async (req, auth) => {
    const { groupId } = req.params;
    await memberGroup((id) => storage.reader.groups.get(id), groupId, auth);
    const page = await storage.reader.groups.handshakes(
      groupId,
      req.query.fromEpoch ?? 0,
      limits.MAX_COMMITS_PER_FETCH + 1,
    );
    return {
      commits: page.slice(0, limits.MAX_COMMITS_PER_FETCH).map((h) => ({
        epoch: h.epoch,
        // A sealed commit's sender is unknown: the fields are left out.
        ...(h.senderAccountId === ''
          ? {}
          : { senderAccountId: h.senderAccountId, senderDeviceId: h.senderDeviceId }),
        commit: toBase64(h.commit),
        serverTimestamp: h.serverTimestamp,
      })),
      more: page.length > limits.MAX_COMMITS_PER_FETCH,
    };
  });

  registerRoute(app, authenticate, ROUTES.sendGroupMessage, async (req, auth) => {
    const { groupId } = req.params;
    const { clientMessageId, epoch, expiresAt } = req.body;
    const content = fromBase64(req.body.message);
    const serverTimestamp = now();
    // Send records are shared with 1:1 sends; the group id keeps the two apart.
    const sendId = `group:${groupId}:${clientMessageId}`;
    const result = await storage.transact(async (w) => {
      const group = await memberGroup((id) => w.groups.get(id), groupId, auth);
      const again = await w.messages.findSend(auth.accountId, auth.deviceId, sendId);
      if (again !== undefined) {
        return { serverTimestamp: again.serverTimestamp, queued: [], duplicate: true };
      }
      // Checked in the transaction that enqueues: a commit cannot slip between the two.
      if (group.epoch !== epoch) {
        throw epochConflict(group.epoch);
      }
      const queued = await enqueueAll(ctx, w, auth, clientMessageId, serverTimestamp, [
        {
          to: recipientsOf(group, auth),
          type: GROUP_MESSAGE_TYPES.application,
          content,
          ...(expiresAt === undefined ? {} : { expiresAt }),
        },
      ]);
      await w.messages.recordSend({
        senderAccountId: auth.accountId,
        senderDeviceId: auth.deviceId,
        clientMessageId: sendId,
        serverTimestamp,
      });
      return { serverTimestamp, queued, duplicate: false };
    });
    await wake(ctx, result.queued);
    return {
      serverTimestamp: result.serverTimestamp,
      recipients: result.queued.length,
      duplicate: result.duplicate,
    };
  });
}
