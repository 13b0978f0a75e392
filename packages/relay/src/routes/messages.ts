/**
 * Sending (one ciphertext per device, checked against the current devices, durable before the
 * answer, idempotent by client id), fetching and acknowledging over HTTP.
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
import type { DeviceIdentity } from '../credentials.js';
import { RelayError } from '../errors.js';
import { deviceChannel } from '../fanout/types.js';
import { registerRoute, type Authenticate } from '../route.js';
import type { DeviceRoute, MessageReader, QueuedMessage } from '../storage/types.js';

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

/** Whether a queued message may still be delivered at `now` (its expiry, if any, not reached). */
export function deliverable(m: QueuedMessage, now: number): boolean {
  return m.expiresAt === undefined || m.expiresAt > now;
}

/** One send as the relay stores it: the ciphertexts as bytes (HTTP sends arrive in base64). */
export interface SendInput {
  readonly clientMessageId: string;
  readonly destinations: readonly {
    readonly accountId: string;
    readonly deviceId: number;
    readonly registrationId: number;
    readonly type: number;
    readonly content: Uint8Array;
  }[];
  /** A disappearing message's expiry (ms): delivered before it only. */
  readonly expiresAt?: number;
}

/** The HTTP body of a send, with its ciphertexts decoded. */
export function sendInput(request: SendRequest): SendInput {
  return {
    clientMessageId: request.clientMessageId,
    destinations: request.destinations.map((d) => ({ ...d, content: fromBase64(d.content) })),
    ...(request.expiresAt === undefined ? {} : { expiresAt: request.expiresAt }),
  };
}

/** `storeSend`'s transaction uses only the send path's storage methods. */
const SEND_PATH = { sendPath: true } as const;

/**
 * Stores one send: checks the destinations against each named account's current devices
 * (`DEVICE_MISMATCH` lists missing, extra and stale ones), enforces queue depth, enqueues one
 * ciphertext per device with the client message id in one transaction, and wakes the devices.
 * Resolves only after the commit is durable; a repeated client message id resolves as a
 * duplicate. Shared by `POST /v1/messages` and the WebSocket `send` frame.
 */
export async function storeSend(
  ctx: RelayContext,
  sender: DeviceIdentity,
  request: SendInput,
): Promise<SendResponse> {
  const { storage, fanOut, metrics, now } = ctx;
  const started = performance.now();
  const { clientMessageId, destinations, expiresAt } = request;
  const byAccount = new Map<string, Map<number, number>>();
  for (const d of destinations) {
    if (d.accountId === sender.accountId && d.deviceId === sender.deviceId) {
      throw new RelayError('INVALID_REQUEST', 'a device cannot send to itself');
    }
    let devices = byAccount.get(d.accountId);
    if (devices === undefined) {
      devices = new Map<number, number>();
      byAccount.set(d.accountId, devices);
    }
    if (devices.has(d.deviceId)) throw new RelayError('INVALID_REQUEST', 'a device appears twice');
    devices.set(d.deviceId, d.registrationId);
  }
  const serverTimestamp = now();
  let queued: QueuedMessage[] = [];
  const result = await storage.transact(async (w): Promise<SendResponse> => {
    queued = [];
    const messages = w.messages;
    // With `claimSend` the duplicate check is folded into the send record's insert (after the
    // checks below, which write nothing); a refused send still answers a duplicate as one.
    const claims = messages.claimSend !== undefined;
    // The duplicate check and every named account's routes are asked at once: PostgreSQL's
    // window reads them all in one statement (a duplicate's routes are read for nothing).
    const [at, routesOf] = await Promise.all([
      claims ? undefined : sentAt(messages, sender, clientMessageId),
      Promise.all([...byAccount.keys()].map((accountId) => w.devices.routes(accountId))),
    ]);
    if (at !== undefined) return duplicate(clientMessageId, at);
    let refusal: RelayError | undefined;
    let mismatches: DeviceMismatch[] | undefined;
    let full = false;
    let i = 0;
    for (const [accountId, sent] of byAccount) {
      const routes = routesOf[i++] ?? [];
      // An account with devices exists: only an empty list needs the account lookup.
      if (routes.length === 0 && (await w.accounts.byId(accountId)) === undefined) {
        refusal = new RelayError('ACCOUNT_NOT_FOUND', 'no such account');
        break;
      }
      const mismatch = compareDevices(accountId, sent, routes, sender);
      if (mismatch !== undefined) (mismatches ??= []).push(mismatch);
      for (const r of routes)
        if (sent.has(r.deviceId) && r.queueDepth >= ctx.limits.maxQueueDepth) full = true;
    }
    if (refusal === undefined && mismatches !== undefined) {
      refusal = new RelayError('DEVICE_MISMATCH', 'devices do not match', {
        accounts: mismatches,
      });
    }
    if (refusal === undefined && full) {
      refusal = new RelayError('QUEUE_FULL', 'a recipient queue is full');
    }
    if (refusal !== undefined) {
      const at = claims ? await sentAt(messages, sender, clientMessageId) : undefined;
      if (at !== undefined) return duplicate(clientMessageId, at);
      throw refusal;
    }
    const record = {
      senderAccountId: sender.accountId,
      senderDeviceId: sender.deviceId,
      clientMessageId,
      serverTimestamp,
    };
    if (claims) {
      const at = await messages.claimSend?.(record);
      if (at !== undefined) return duplicate(clientMessageId, at);
    }
    // The send record is buffered before the enqueues (one transaction either way), and every
    // destination is enqueued at once: PostgreSQL's window then bumps the counters, inserts the
    // messages and the send records in one statement instead of one round per destination.
    if (!claims) await messages.recordSend(record);
    queued = await Promise.all(
      destinations.map((d) =>
        // Two literals rather than a conditional spread (a generic property copy per message).
        messages.enqueue(
          expiresAt === undefined
            ? {
                recipientAccountId: d.accountId,
                recipientDeviceId: d.deviceId,
                senderAccountId: sender.accountId,
                senderDeviceId: sender.deviceId,
                clientMessageId,
                type: d.type,
                content: d.content,
                serverTimestamp,
              }
            : {
                recipientAccountId: d.accountId,
                recipientDeviceId: d.deviceId,
                senderAccountId: sender.accountId,
                senderDeviceId: sender.deviceId,
                clientMessageId,
                type: d.type,
                content: d.content,
                serverTimestamp,
                expiresAt,
              },
        ),
      ),
    );
    return { clientMessageId, serverTimestamp, duplicate: false };
  }, SEND_PATH);
  if (!result.duplicate) {
    metrics.messagesIn.inc('', destinations.length);
    metrics.sendDuration.observe((performance.now() - started) / 1000);
    // Published without awaiting in between, right after the commit, so each device's
    // connection sees its messages in commit order (see `FanOut.publish`). One destination
    // (the usual send) needs no array of promises.
    if (queued.length === 1) {
      const m = queued[0] as QueuedMessage;
      await fanOut.publish(deviceChannel(m.recipientAccountId, m.recipientDeviceId), {
        kind: 'messages',
        queued,
      });
    } else
      await Promise.all(
        queued.map((m) =>
          fanOut.publish(deviceChannel(m.recipientAccountId, m.recipientDeviceId), {
            kind: 'messages',
            queued: [m],
          }),
        ),
      );
  }
  return result;
}

function duplicate(clientMessageId: string, at: number): SendResponse {
  return { clientMessageId, serverTimestamp: at, duplicate: true };
}

/** When `sender` sent `clientMessageId` before (its send record), if it did. */
async function sentAt(
  messages: MessageReader,
  sender: DeviceIdentity,
  clientMessageId: string,
): Promise<number | undefined> {
  return (await messages.findSend(sender.accountId, sender.deviceId, clientMessageId))
    ?.serverTimestamp;
}

/**
 * The devices a send names for one account against the account's current devices (the
 * sender's own device excluded); undefined when they match.
 */
export function compareDevices(
  accountId: string,
  sent: ReadonlyMap<number, number>,
  routes: readonly DeviceRoute[],
  sender: DeviceIdentity,
): DeviceMismatch | undefined {
  const current = routes.filter(
    (d) => !(accountId === sender.accountId && d.deviceId === sender.deviceId),
  );
  let matched = 0;
  for (const d of current) if (sent.get(d.deviceId) === d.registrationId) matched++;
  if (matched === current.length && matched === sent.size) return undefined;
  const currentIds = new Set(current.map((d) => d.deviceId));
  const missing = current.filter((d) => !sent.has(d.deviceId)).map((d) => d.deviceId);
  const extra = [...sent.keys()].filter((id) => !currentIds.has(id)).sort((a, b) => a - b);
  const stale = current
    .filter((d) => sent.has(d.deviceId) && sent.get(d.deviceId) !== d.registrationId)
    .map((d) => d.deviceId);
  return { accountId, missing, extra, stale };
}

export function messageRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  authenticate: Authenticate,
): void {
  const { storage, metrics } = ctx;

  registerRoute(app, authenticate, ROUTES.sendMessage, async (req, auth) =>
    storeSend(ctx, auth, sendInput(req.body)),
  );

  registerRoute(app, authenticate, ROUTES.fetchMessages, async (_req, auth) => {
    const page = await storage.reader.messages.list(
      auth.accountId,
      auth.deviceId,
      0,
      limits.MAX_MESSAGES_PER_FETCH + 1,
    );
    // A disappearing message past its expiry is never delivered (the sweep deletes it).
    const t = ctx.now();
    const messages = page
      .slice(0, limits.MAX_MESSAGES_PER_FETCH)
      .filter((m) => deliverable(m, t))
      .map(envelope);
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
