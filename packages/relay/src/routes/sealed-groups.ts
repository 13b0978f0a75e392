/**
 * Sealed group posts (issue 18): a group message or commit admitted by the delivery token of
 * the group's current epoch (an MLS exporter value, so only that epoch's members hold it)
 * instead of a device credential. The relay stores SHA-256 of the token, set at creation and by
 * each commit for the epoch it starts, and compares it in constant time; a group without one
 * for its epoch, an unknown group and a wrong token get the same `DELIVERY_TOKEN_INVALID`. The
 * previous epoch's token (kept beside it) gets `EPOCH_CONFLICT` instead, as an authenticated
 * member's post in the old epoch does: a member whose post a commit overtook catches up and
 * posts sealed again rather than falling back to naming itself. Only that epoch's members (the
 * ones the commit removed among them, who received it) hold it, so nobody else learns the
 * group's epoch.
 *
 * Checks, in order, before anything is stored: the source address's bucket, the token, the
 * group's bucket (`RATE_LIMIT_SEALED_*`, the 1:1 sealed route's limiters), then in the storing
 * transaction the token again (a commit may have moved the epoch) and the epoch. The post goes
 * to every member device, the sender's own included (the relay cannot tell which it is), with
 * no sender, and may fill only `SEALED_QUEUE_SHARE` of a queue. Nothing about the sender is
 * stored, logged, or counted in metrics with a label.
 */
import type { FastifyInstance } from 'fastify';
import { GROUP_MESSAGE_TYPES, ROUTES } from '@parley/api';
import { fromBase64 } from '@parley/bytes';
import type { RelayContext } from '../context.js';
import { RelayError } from '../errors.js';
import { registerRoute, type Authenticate } from '../route.js';
import {
  hashDeliveryToken,
  hashMatches,
  take,
  tokenRefused,
  type SealedLimiters,
} from '../sealed-delivery.js';
import type { GroupRecord } from '../storage/group-types.js';
import type { Reader } from '../storage/types.js';
import {
  SEALED_SENDER,
  acceptCommit,
  enqueueAll,
  epochConflict,
  memberList,
  recipientsOf,
  wake,
} from './group-delivery.js';

/**
 * The group if `presented` is its current epoch's token; `EPOCH_CONFLICT` if it is the
 * previous epoch's; `DELIVERY_TOKEN_INVALID` otherwise. Both hashes are compared every time.
 */
async function tokenGroup(
  reader: Pick<Reader, 'groups'>,
  groupId: string,
  presented: Uint8Array,
): Promise<GroupRecord> {
  const group = await reader.groups.get(groupId);
  const current = hashMatches(presented, group?.deliveryTokenHash);
  const previous = hashMatches(presented, group?.previousTokenHash);
  if (group !== undefined && current) return group;
  if (group !== undefined && previous) throw epochConflict(group.epoch);
  throw tokenRefused();
}

export function sealedGroupRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  authenticate: Authenticate,
  limiters: SealedLimiters | undefined,
): void {
  const { storage, metrics, now } = ctx;

  /** The address's bucket, the token, the group's bucket; the token's hash. */
  const admit = async (ip: string, groupId: string, token: string): Promise<Uint8Array> => {
    if (limiters !== undefined) await take(limiters.ip, ip);
    const presented = hashDeliveryToken(fromBase64(token));
    try {
      await tokenGroup(storage.reader, groupId, presented);
    } catch (e) {
      // A stale token (`EPOCH_CONFLICT`) takes nothing from the group's bucket either: a member
      // removed by the last commit, who holds it, cannot drain the bucket the members share.
      if (e instanceof RelayError && e.code === 'DELIVERY_TOKEN_INVALID')
        metrics.sealedRefused.inc();
      throw e;
    }
    if (limiters !== undefined) await take(limiters.token, `group:${groupId}`);
    return presented;
  };

  registerRoute(app, authenticate, ROUTES.sendSealedGroupMessage, async (req) => {
    const { groupId } = req.params;
    const { clientMessageId, epoch, expiresAt } = req.body;
    const presented = await admit(req.ip, groupId, req.body.deliveryToken);
    const content = fromBase64(req.body.message);
    const serverTimestamp = now();
    const queued = await storage.transact(async (w) => {
      // Again inside the storing transaction: a commit may have moved the epoch.
      const group = await tokenGroup(w, groupId, presented);
      if (group.epoch !== epoch) throw epochConflict(group.epoch);
      return enqueueAll(ctx, w, SEALED_SENDER, clientMessageId, serverTimestamp, [
        {
          to: recipientsOf(group, SEALED_SENDER),
          type: GROUP_MESSAGE_TYPES.application,
          content,
          ...(expiresAt === undefined ? {} : { expiresAt }),
        },
      ]);
    });
    metrics.messagesIn.inc('', queued.length);
    metrics.sealedIn.inc('', queued.length);
    await wake(ctx, queued);
    return { serverTimestamp, recipients: queued.length };
  });

  registerRoute(app, authenticate, ROUTES.sealedCommitToGroup, async (req) => {
    const { groupId } = req.params;
    const members = memberList(req.body.members);
    const presented = await admit(req.ip, groupId, req.body.deliveryToken);
    const serverTimestamp = now();
    const queued = await storage.transact(async (w) => {
      // Again inside the storing transaction: a commit may have moved the epoch.
      const group = await tokenGroup(w, groupId, presented);
      return acceptCommit(ctx, w, group, { ...req.body, members }, SEALED_SENDER, serverTimestamp);
    });
    metrics.sealedIn.inc('', queued.length);
    await wake(ctx, queued);
    return { epoch: req.body.epoch + 1, serverTimestamp };
  });
}
