/**
 * Sealed group posts (issue 18). Each MLS epoch has a delivery token, MLS-Exporter("parley group
 * delivery token v1", group id, 32) of that epoch: only its members can derive it, and it
 * changes with every commit, so a removed member loses it at its removal. The creator gives the
 * relay SHA-256 of epoch 0's token, each committer that of the epoch its commit starts; with
 * the token a member posts messages and commits without credentials, and the relay queues them
 * for every member device with no sender. A refusal (`SEALED_FALL_BACK_ON`: no token for the
 * epoch at the relay, rate limits, the sealed share of a queue, an older relay) sends the same
 * bytes authenticated instead.
 *
 * A sealed post comes back to this device too. Its echo is recognised here, not by the relay:
 * the SHA-256 of every group message and proposal we make is kept (`rememberPost`, in the transaction that
 * makes it, before it is posted) and an envelope with those bytes is dropped without a word.
 * Who sent a group message is only ever what MLS says (the sender leaf's credential).
 */
import { limits, type GroupMessageRequest, type GroupMessageResponse } from '@parley/api';
import { toBase64, toHex, utf8Decode, utf8Encode } from '@parley/bytes';
import { mlsExporter, type GroupState, type MlsCrypto } from '@parley/mls';
import type { Primitives } from '@parley/primitives';
import type { GroupHost } from './group-host.js';
import { RelayCallError, SEALED_FALL_BACK_ON } from './http.js';
import { MAX_GROUP_ECHO_HASHES } from './limits.js';
import type { StorageReader, StorageWriter } from './storage.js';

const TOKEN_LABEL = 'parley group delivery token v1';
/** Our recent group posts by SHA-256 (hex); each value is its sequence number (decimal). */
const ECHO_NS = 'group-echo';
/** The next sequence number. */
const ECHO_SEQ = ['group-echo-seq', 'next'] as const;
/** Posts between two prunings of the oldest hashes (so a post reads the whole set rarely). */
const ECHO_PRUNE_EVERY = 64;

/** The delivery token of `state`'s epoch. */
export function groupDeliveryToken(crypto: MlsCrypto, state: GroupState): Uint8Array {
  return mlsExporter(
    crypto,
    state.secrets.exporterSecret,
    TOKEN_LABEL,
    state.groupContext.groupId,
    limits.DELIVERY_TOKEN_BYTES,
  );
}

/** SHA-256 of `state`'s epoch's token, base64: what the relay is given for that epoch. */
export function deliveryTokenHash(p: Primitives, crypto: MlsCrypto, state: GroupState): string {
  return toBase64(p.hash('sha256', groupDeliveryToken(crypto, state)));
}

/** What is kept of a post of ours: its order, and the outbox entry it carried, if any. */
interface OwnPost {
  readonly seq: number;
  readonly outbox?: string;
}

/**
 * Records `message` (a post of ours, of outbox entry `outbox` if it is one) so that its echo is
 * recognised. At most `MAX_GROUP_ECHO_HASHES` (plus the posts since the last pruning) are kept,
 * the newest.
 */
export function rememberPost(
  p: Primitives,
  w: StorageWriter,
  message: Uint8Array,
  outbox?: string,
): void {
  const stored = w.get(...ECHO_SEQ);
  const seq = stored === undefined ? 0 : Number(utf8Decode(stored));
  const post: OwnPost = { seq, ...(outbox === undefined ? {} : { outbox }) };
  w.put(ECHO_NS, toHex(p.hash('sha256', message)), utf8Encode(JSON.stringify(post)));
  w.put(...ECHO_SEQ, utf8Encode(String(seq + 1)));
  if ((seq + 1) % ECHO_PRUNE_EVERY !== 0) return;
  for (const [key, value] of w.list(ECHO_NS))
    if ((JSON.parse(utf8Decode(value)) as OwnPost).seq <= seq - MAX_GROUP_ECHO_HASHES)
      w.delete(ECHO_NS, key);
}

/** `message` if it is one of our own recent posts (its echo), else undefined. */
export function ownPost(p: Primitives, r: StorageReader, message: Uint8Array): OwnPost | undefined {
  const v = r.get(ECHO_NS, toHex(p.hash('sha256', message)));
  return v === undefined ? undefined : (JSON.parse(utf8Decode(v)) as OwnPost);
}

/**
 * Posts a group message sealed when `token` is given and the relay takes it, else
 * authenticated; `recipients` counts other member devices either way.
 */
export async function postGroupMessage(
  h: GroupHost,
  groupId: string,
  token: Uint8Array | undefined,
  request: GroupMessageRequest,
): Promise<GroupMessageResponse & { readonly sealed: boolean }> {
  if (token !== undefined) {
    const sent = await sealedOrUndefined(() =>
      h.relay.sendSealedGroupMessage(groupId, { ...request, deliveryToken: toBase64(token) }),
    );
    // The relay queued it for our own device too.
    if (sent !== undefined)
      return {
        serverTimestamp: sent.serverTimestamp,
        recipients: Math.max(0, sent.recipients - 1),
        duplicate: false,
        sealed: true,
      };
  }
  return { ...(await h.relay.sendGroupMessage(h.auth(), groupId, request)), sealed: false };
}

/** The answer of a sealed post, or undefined when the relay refused it in a way to fall back on. */
export async function sealedOrUndefined<T>(post: () => Promise<T>): Promise<T | undefined> {
  try {
    return await post();
  } catch (e) {
    if (e instanceof RelayCallError && SEALED_FALL_BACK_ON.includes(e.relayCode ?? ''))
      return undefined;
    throw e;
  }
}
