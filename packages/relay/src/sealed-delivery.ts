/**
 * Unauthenticated (sealed sender) sends: one sealed envelope per device of one account, admitted
 * by the account's delivery token instead of a session credential. The relay learns the
 * recipient, the sizes, the time and the source address, never the sender: nothing about one
 * is stored (the queued envelope's sender fields are empty), logged, or counted in metrics.
 *
 * Checks, in order: the source address's bucket, then the token (its SHA-256 compared in
 * constant time with the stored one; an unknown account costs the same comparison and gets the
 * same `DELIVERY_TOKEN_INVALID`), then the token's bucket, then the devices exactly as an
 * authenticated send (`DEVICE_MISMATCH` with the same details) and the queue depths, where
 * sealed envelopes may fill only `SEALED_QUEUE_SHARE` of a queue.
 *
 * A multi-recipient send (sealed sender v2) goes through the same checks for every account it
 * names, all before anything is stored: the framing (`sealed-v2-framing.ts`), the address's
 * bucket once, every account's token (each checked, so a refusal takes as long whichever one
 * failed, and does not say which), every token's bucket, then in one transaction every
 * account's devices (one `DEVICE_MISMATCH` listing them all) and queues. Any refusal stores
 * nothing. Each device's queue gets its own received form of the message.
 */
import { createHash } from 'node:crypto';
import {
  limits,
  type DeviceMismatch,
  type SealedMultiSendRequest,
  type SealedSendRequest,
  type SealedSendResponse,
} from '@parley/api';
import { constantTimeEqual, fromBase64 } from '@parley/bytes';
import type { RelayContext } from './context.js';
import { RelayError } from './errors.js';
import { deviceChannel } from './fanout/types.js';
import { SEALED_QUEUE_SHARE } from './limits.js';
import type { RateLimiter } from './rate-limit.js';
import { compareDevices } from './routes/messages.js';
import { splitMultiRecipient } from './sealed-v2-framing.js';
import type { QueuedMessage, Reader, Writer } from './storage/types.js';

/** The limiters of unauthenticated sends (none when rate limiting is off). */
export interface SealedLimiters {
  /** Keyed by source address. */
  readonly ip: RateLimiter;
  /** Keyed by recipient account (its one current delivery token). */
  readonly token: RateLimiter;
}

/** SHA-256 of a delivery token, what the relay stores. */
export function hashDeliveryToken(token: Uint8Array): Uint8Array {
  return createHash('sha256').update(token).digest();
}

/** What an absent token hash is compared with, so a refusal costs the same either way. */
const NO_TOKEN_HASH = hashDeliveryToken(new Uint8Array(limits.DELIVERY_TOKEN_BYTES));
/** No device: a sealed send has no sender to exclude from the recipient's devices. */
const NOBODY = { accountId: '', deviceId: 0 } as const;

/** Takes one from `limiter`'s bucket for `key`, or throws `RATE_LIMITED` with a retry-after. */
export async function take(limiter: RateLimiter, key: string): Promise<void> {
  const r = await limiter.take(key);
  if (!r.ok)
    throw Object.assign(new RelayError('RATE_LIMITED', 'rate limited'), {
      retryAfter: r.retryAfterSeconds,
    });
}

export function tokenRefused(): RelayError {
  return new RelayError('DELIVERY_TOKEN_INVALID', 'delivery token not accepted');
}

/**
 * Whether `presented` (a token's hash) is `stored`, in constant time: with nothing stored it is
 * compared with a dummy hash, so an unknown account or group costs the same comparison.
 */
export function hashMatches(presented: Uint8Array, stored: Uint8Array | undefined): boolean {
  return constantTimeEqual(presented, stored ?? NO_TOKEN_HASH) && stored !== undefined;
}

/** Whether `presented` (a token's hash) is `accountId`'s current token, in constant time. */
async function tokenMatches(
  reader: Pick<Reader, 'profiles'>,
  accountId: string,
  presented: Uint8Array,
): Promise<boolean> {
  return hashMatches(presented, await reader.profiles.deliveryTokenHash(accountId));
}

/** What every device's copy of one sealed send shares. */
interface SealedEnvelope {
  readonly clientMessageId: string;
  readonly serverTimestamp: number;
  readonly expiresAt: number | undefined;
}

/** Queues one device's sealed envelope: no sender fields, the sealed envelope type. */
function enqueueSealed(
  w: Writer,
  accountId: string,
  deviceId: number,
  content: Uint8Array,
  { clientMessageId, serverTimestamp, expiresAt }: SealedEnvelope,
): Promise<QueuedMessage> {
  return w.messages.enqueue({
    recipientAccountId: accountId,
    recipientDeviceId: deviceId,
    senderAccountId: '',
    senderDeviceId: 0,
    clientMessageId,
    type: limits.SEALED_SENDER_ENVELOPE_TYPE,
    content,
    serverTimestamp,
    ...(expiresAt === undefined ? {} : { expiresAt }),
  });
}

/** Counts the stored envelopes and wakes each device (after the commit). */
async function wake(ctx: RelayContext, queued: readonly QueuedMessage[]): Promise<void> {
  ctx.metrics.messagesIn.inc('', queued.length);
  ctx.metrics.sealedIn.inc('', queued.length);
  await Promise.all(
    queued.map((m) =>
      ctx.fanOut.publish(deviceChannel(m.recipientAccountId, m.recipientDeviceId), {
        kind: 'messages',
        queued: [m],
      }),
    ),
  );
}

/** Checks the token and limits, stores the envelopes (durably) and wakes the devices. */
export async function storeSealedSend(
  ctx: RelayContext,
  limiters: SealedLimiters | undefined,
  sourceAddress: string,
  request: SealedSendRequest,
): Promise<SealedSendResponse> {
  const { storage, metrics, now } = ctx;
  if (limiters !== undefined) await take(limiters.ip, sourceAddress);
  const { accountId, clientMessageId, expiresAt } = request;
  const presented = hashDeliveryToken(fromBase64(request.deliveryToken));
  if (!(await tokenMatches(storage.reader, accountId, presented))) {
    metrics.sealedRefused.inc();
    throw tokenRefused();
  }
  if (limiters !== undefined) await take(limiters.token, accountId);

  const sent = new Map<number, number>();
  for (const d of request.destinations) {
    if (sent.has(d.deviceId)) throw new RelayError('INVALID_REQUEST', 'a device appears twice');
    sent.set(d.deviceId, d.registrationId);
  }
  const contents = request.destinations.map((d) => ({
    deviceId: d.deviceId,
    content: fromBase64(d.content),
  }));
  const sealedDepth = Math.floor(ctx.limits.maxQueueDepth * SEALED_QUEUE_SHARE);
  const serverTimestamp = now();
  const envelope = { clientMessageId, serverTimestamp, expiresAt };
  let queued: QueuedMessage[] = [];
  await storage.transact(async (w) => {
    queued = [];
    // The token was checked outside; checked again here so a token revoked meanwhile (or an
    // account deleted) stores nothing.
    if (!(await tokenMatches(w, accountId, presented))) throw tokenRefused();
    const routes = await w.devices.routes(accountId);
    const mismatch = compareDevices(accountId, sent, routes, NOBODY);
    if (mismatch !== undefined)
      throw new RelayError('DEVICE_MISMATCH', 'devices do not match', { accounts: [mismatch] });
    if (routes.some((r) => r.queueDepth >= sealedDepth))
      throw new RelayError('QUEUE_FULL', 'a recipient queue is full');
    for (const d of contents) {
      queued.push(await enqueueSealed(w, accountId, d.deviceId, d.content, envelope));
    }
  });
  await wake(ctx, queued);
  return { serverTimestamp };
}

/**
 * Checks a multi-recipient send (framing, tokens, limits, devices, queues), stores each device
 * its part in one transaction, and wakes the devices.
 */
export async function storeSealedMultiSend(
  ctx: RelayContext,
  limiters: SealedLimiters | undefined,
  sourceAddress: string,
  request: SealedMultiSendRequest,
): Promise<SealedSendResponse> {
  const { storage, metrics, now } = ctx;
  if (limiters !== undefined) await take(limiters.ip, sourceAddress);
  const accounts = splitMultiRecipient(fromBase64(request.message));
  const presented = new Map<string, Uint8Array>();
  for (const t of request.tokens) {
    if (presented.has(t.accountId))
      throw new RelayError('INVALID_REQUEST', 'an account appears twice');
    presented.set(t.accountId, hashDeliveryToken(fromBase64(t.deliveryToken)));
  }
  if (presented.size !== accounts.length || accounts.some((a) => !presented.has(a.accountId)))
    throw new RelayError('INVALID_REQUEST', "the tokens do not name the message's recipients");
  let accepted = true;
  for (const [accountId, hash] of presented)
    if (!(await tokenMatches(storage.reader, accountId, hash))) accepted = false;
  if (!accepted) {
    metrics.sealedRefused.inc();
    throw tokenRefused();
  }
  if (limiters !== undefined) for (const a of accounts) await take(limiters.token, a.accountId);

  const { clientMessageId, expiresAt } = request;
  const sealedDepth = Math.floor(ctx.limits.maxQueueDepth * SEALED_QUEUE_SHARE);
  const serverTimestamp = now();
  const envelope = { clientMessageId, serverTimestamp, expiresAt };
  let queued: QueuedMessage[] = [];
  await storage.transact(async (w) => {
    queued = [];
    let mismatches: DeviceMismatch[] | undefined;
    let full = false;
    for (const a of accounts) {
      // Checked again inside: a token revoked meanwhile (or an account deleted) stores nothing.
      if (!(await tokenMatches(w, a.accountId, presented.get(a.accountId) ?? NO_TOKEN_HASH)))
        throw tokenRefused();
      const sent = new Map(a.devices.map((d) => [d.deviceId, d.registrationId]));
      const routes = await w.devices.routes(a.accountId);
      const mismatch = compareDevices(a.accountId, sent, routes, NOBODY);
      if (mismatch !== undefined) (mismatches ??= []).push(mismatch);
      if (routes.some((r) => r.queueDepth >= sealedDepth)) full = true;
    }
    if (mismatches !== undefined)
      throw new RelayError('DEVICE_MISMATCH', 'devices do not match', { accounts: mismatches });
    if (full) throw new RelayError('QUEUE_FULL', 'a recipient queue is full');
    for (const a of accounts)
      for (const d of a.devices)
        queued.push(await enqueueSealed(w, a.accountId, d.deviceId, d.received, envelope));
  });
  await wake(ctx, queued);
  return { serverTimestamp };
}
