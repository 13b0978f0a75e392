/**
 * Sending (one ciphertext per device, checked against the current devices, durable before the
 * answer, idempotent by client id), fetching and acknowledging.
 */
import type { FastifyInstance } from 'fastify';
import {
  ROUTES,
  limits,
  type DeviceMismatch,
  type Envelope,
  type SendRequest,
  type SendResponse,
} from '@parley/api';
import { fromBase64, toBase64 } from '@parley/bytes';
import type { RelayContext } from '../context.js';
import { newId, type DeviceIdentity } from '../credentials.js';
import { RelayError } from '../errors.js';
import { deviceChannel } from '../fanout/types.js';
import { registerRoute, type Authenticate } from '../route.js';
import type { QueuedMessage } from '../storage/types.js';

/** The wire form of a queued message. */
export function envelope(m: QueuedMessage): Envelope {
  return {
    guid: m.guid,
    senderAccountId: m.senderAccountId,
    senderDeviceId: m.senderDeviceId,
    clientMessageId: m.clientMessageId,
    type: m.type,
    content: toBase64(m.content),
    serverTimestamp: m.serverTimestamp,
  };
}

/**
 * Stores one send: checks the destinations against each named account's current devices
 * (`DEVICE_MISMATCH` lists missing, extra and stale ones), enforces queue depth, enqueues one
 * ciphertext per device with the client message id in one transaction, and wakes the devices.
 * Resolves only after the commit; a repeated client message id resolves as a duplicate.
 * Shared by `POST /v1/messages` and the WebSocket `send` frame.
 */
export async function storeSend(
  ctx: RelayContext,
  sender: DeviceIdentity,
  request: SendRequest,
): Promise<SendResponse> {
  const { storage, fanOut, metrics, now } = ctx;
  const started = performance.now();
  const { clientMessageId, destinations } = request;
  const seen = new Set<string>();
  const byAccount = new Map<string, Map<number, number>>();
  for (const d of destinations) {
    const key = `${d.accountId}/${d.deviceId}`;
    if (seen.has(key)) throw new RelayError('INVALID_REQUEST', 'a device appears twice');
    seen.add(key);
    if (d.accountId === sender.accountId && d.deviceId === sender.deviceId) {
      throw new RelayError('INVALID_REQUEST', 'a device cannot send to itself');
    }
    const devices = byAccount.get(d.accountId) ?? new Map<number, number>();
    devices.set(d.deviceId, d.registrationId);
    byAccount.set(d.accountId, devices);
  }
  const contents = destinations.map((d) => fromBase64(d.content));
  const serverTimestamp = now();
  const result = await storage.transact(async (w): Promise<SendResponse> => {
    const again = await w.messages.findSend(sender.accountId, sender.deviceId, clientMessageId);
    if (again !== undefined) {
      return { clientMessageId, serverTimestamp: again.serverTimestamp, duplicate: true };
    }
    const mismatches: DeviceMismatch[] = [];
    for (const [accountId, sent] of byAccount) {
      const devices = await w.devices.list(accountId);
      // An account with devices exists: only an empty list needs the account lookup.
      if (devices.length === 0 && (await w.accounts.byId(accountId)) === undefined) {
        throw new RelayError('ACCOUNT_NOT_FOUND', 'no such account');
      }
      const current = devices.filter(
        (d) => !(accountId === sender.accountId && d.deviceId === sender.deviceId),
      );
      const currentIds = new Set(current.map((d) => d.deviceId));
      const missing = current.filter((d) => !sent.has(d.deviceId)).map((d) => d.deviceId);
      const extra = [...sent.keys()].filter((id) => !currentIds.has(id)).sort((a, b) => a - b);
      const stale = current
        .filter((d) => sent.has(d.deviceId) && sent.get(d.deviceId) !== d.registrationId)
        .map((d) => d.deviceId);
      if (missing.length + extra.length + stale.length > 0)
        mismatches.push({ accountId, missing, extra, stale });
    }
    if (mismatches.length > 0) {
      throw new RelayError('DEVICE_MISMATCH', 'devices do not match', { accounts: mismatches });
    }
    for (const d of destinations) {
      if ((await w.messages.depth(d.accountId, d.deviceId)) >= ctx.limits.maxQueueDepth) {
        throw new RelayError('QUEUE_FULL', 'a recipient queue is full');
      }
    }
    for (const [i, d] of destinations.entries()) {
      await w.messages.enqueue({
        guid: newId(),
        recipientAccountId: d.accountId,
        recipientDeviceId: d.deviceId,
        senderAccountId: sender.accountId,
        senderDeviceId: sender.deviceId,
        clientMessageId,
        type: d.type,
        content: contents[i] ?? new Uint8Array(0),
        serverTimestamp,
      });
    }
    await w.messages.recordSend({
      senderAccountId: sender.accountId,
      senderDeviceId: sender.deviceId,
      clientMessageId,
      serverTimestamp,
    });
    return { clientMessageId, serverTimestamp, duplicate: false };
  });
  if (!result.duplicate) {
    metrics.messagesIn.inc('', destinations.length);
    metrics.sendDuration.observe((performance.now() - started) / 1000);
    for (const d of destinations) {
      await fanOut.publish(deviceChannel(d.accountId, d.deviceId), { kind: 'messages' });
    }
  }
  return result;
}

export function messageRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  authenticate: Authenticate,
): void {
  const { storage, metrics } = ctx;

  registerRoute(app, authenticate, ROUTES.sendMessage, async (req, auth) =>
    storeSend(ctx, auth, req.body),
  );

  registerRoute(app, authenticate, ROUTES.fetchMessages, async (_req, auth) => {
    const page = await storage.reader.messages.list(
      auth.accountId,
      auth.deviceId,
      0,
      limits.MAX_MESSAGES_PER_FETCH + 1,
    );
    const messages = page.slice(0, limits.MAX_MESSAGES_PER_FETCH).map(envelope);
    metrics.messagesOut.inc('', messages.length);
    return { messages, more: page.length > limits.MAX_MESSAGES_PER_FETCH };
  });

  registerRoute(app, authenticate, ROUTES.ackMessages, async (req, auth) => {
    const n = await storage.transact((w) =>
      w.messages.delete(auth.accountId, auth.deviceId, req.body.guids),
    );
    metrics.messagesAcked.inc('', n);
    return undefined;
  });
}
