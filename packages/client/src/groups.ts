/**
 * MLS groups in the client: create, add and remove users (every device in each user's signed
 * list, and our own other devices), leave, send, list; receiving is `group-receive.ts`.
 *
 * Commits are PrivateMessages, made in the group's current epoch: the relay accepts exactly one
 * per epoch, so on `EPOCH_CONFLICT` we process the commits since, recompute the change and
 * retry, at most `MAX_COMMIT_RETRIES` times. The state a commit leads to is stored (pending)
 * before it is posted, so a commit the relay took but whose answer was lost is adopted when the
 * log shows it. Leaving is a Remove proposal for each of our account's leaves; another member's
 * device commits it (every member that sees it tries; the relay's ordering picks one).
 */
import type { Envelope } from '@parley/api';
import { fromBase64, toBase64, toBase64Url } from '@parley/bytes';
import {
  ProposalType,
  SenderType,
  WireFormat,
  createCommit,
  createGroup,
  createProposal,
  leafIndex,
  decodeGroupState,
  decodeMlsMessage,
  encodeGroupState,
  encodeMlsMessage,
  type GroupState,
  type MlsMessage,
  type Proposal,
} from '@parley/mls';
import type { AttachmentPointer, Content } from './content.js';
import { actedOn, actionContent, checkOwnAction, type MessageAction } from './message-actions.js';
import type { StorageWriter } from './storage.js';
import { ClientError } from './errors.js';
import { DeviceLists, credentialDevice, deviceCredential } from './group-auth.js';
import {
  retireUsedLastResort,
  topUpKeyPackages,
  uploadKeyPackages,
  type KeyPackageContext,
} from './group-key-packages.js';
import { groupRecords, type GroupMessageRecord, type GroupRecord } from './group-records.js';
import { GROUP_CAPABILITIES, checkGroupName, nameExtension, roster } from './group-roster.js';
import { RelayCallError } from './http.js';
import {
  MAX_COMMIT_RETRIES,
  MAX_USERS_PER_GROUP_CHANGE,
  MLS_CLOCK_SKEW_S,
  MLS_KEY_PACKAGE_LIFETIME_S,
  REJOIN_REQUEST_MAX_AGE_MS,
} from './limits.js';
import type { ContactRecord } from './state.js';
import {
  epochOf,
  following,
  noPsks,
  withoutPending,
  type GroupEvent,
  type GroupHost,
  type GroupSendResult,
  type GroupSummary,
} from './group-host.js';
import { GroupOutbox } from './group-outbox.js';
import { GroupReceiver } from './group-receive.js';
import {
  deliveryTokenHash,
  groupDeliveryToken,
  postGroupMessage,
  rememberPost,
  sealedOrUndefined,
} from './group-sealed.js';
import { resolveGroup } from './group-resolve.js';

export type {
  GroupChange,
  GroupEvent,
  GroupHost,
  GroupSendResult,
  GroupSummary,
} from './group-host.js';

const GROUP_ID_BYTES = 16;

export class GroupEngine {
  readonly #h: GroupHost;
  readonly #r: GroupReceiver;
  readonly #outbox: GroupOutbox;

  constructor(host: GroupHost) {
    this.#h = host;
    this.#r = new GroupReceiver(host);
    this.#outbox = new GroupOutbox(host, this.#r);
  }

  /** After a restore: every group we follow waits and asks to have this device added again. */
  holdForRejoin(w: StorageWriter): void {
    for (const g of groupRecords.groups(w)) this.#r.holdForRejoin(w, g.groupId);
  }

  /** Device lists for one operation (fetched at most once each). */
  lists(): DeviceLists {
    return this.#r.lists();
  }

  /** Processes one queued group envelope (types 32–34); marks it seen with its effects. */
  processEnvelope(env: Envelope, lists: DeviceLists): Promise<GroupEvent[]> {
    return this.#r.processEnvelope(env, lists);
  }

  #kpContext(): KeyPackageContext {
    return {
      crypto: this.#r.crypto,
      db: this.#h.db,
      relay: this.#h.relay,
      account: this.#h.account(),
      auth: this.#h.auth(),
      nowSeconds: this.#r.nowSeconds(),
    };
  }

  uploadKeyPackages(initial: boolean): Promise<void> {
    return uploadKeyPackages(this.#kpContext(), initial);
  }

  /**
   * The group named by `ref`: its id, an id prefix, or its name (case-insensitive); among the
   * groups we follow, or with `past` also those we left or were removed from.
   */
  resolve(ref: string, past = false): GroupRecord {
    return resolveGroup(this.#h.db, ref, past);
  }

  /** Our groups with their rosters, computed from the MLS tree. */
  list(): GroupSummary[] {
    return groupRecords.groups(this.#h.db).map((g) => {
      const bytes = groupRecords.state(this.#h.db, g.groupId);
      const state = bytes === undefined ? undefined : decodeGroupState(this.#r.crypto, bytes);
      const members = new Map<string, number[]>();
      for (const l of state === undefined ? [] : roster(state))
        members.set(l.accountId, [...(members.get(l.accountId) ?? []), l.deviceId]);
      return {
        groupId: g.groupId,
        name: g.name,
        status: g.status,
        epoch: state === undefined ? -1 : epochOf(state),
        ...(g.blocked && { blocked: g.blocked }),
        members: [...members].map(([accountId, devices]) => ({
          username: this.#h.username(accountId),
          accountId,
          devices,
        })),
      };
    });
  }

  history(ref: string): GroupMessageRecord[] {
    return groupRecords.messages(this.#h.db, this.resolve(ref, true).groupId);
  }

  /**
   * Creates a group named `name` with `usernames` (every device in their signed lists) and our
   * own other devices, in one commit after epoch 0.
   */
  async create(
    name: string,
    usernames: readonly string[],
  ): Promise<{
    groupId: string;
    events: GroupEvent[];
  }> {
    const clean = checkGroupName(name);
    const contacts = await this.#contacts(usernames);
    const me = this.#h.account();
    const groupIdBytes = this.#h.primitives.randomBytes(GROUP_ID_BYTES);
    const now = this.#r.nowSeconds();
    const state = createGroup(this.#r.crypto, {
      groupId: groupIdBytes,
      credential: deviceCredential(me.accountId, me.deviceId),
      signaturePrivateKey: this.#r.signatureKey(),
      lifetime: {
        notBefore: now - BigInt(MLS_CLOCK_SKEW_S),
        notAfter: now + BigInt(MLS_KEY_PACKAGE_LIFETIME_S),
      },
      capabilities: GROUP_CAPABILITIES,
      groupExtensions: [nameExtension(clean)],
    });
    const g: GroupRecord = {
      groupId: toBase64Url(groupIdBytes),
      name: clean,
      status: 'active',
      createdAt: this.#h.now(),
    };
    await this.#h.relay.createGroup(this.#h.auth(), {
      groupId: g.groupId,
      members: [{ accountId: me.accountId, deviceId: me.deviceId }],
      deliveryTokenHash: deliveryTokenHash(this.#h.primitives, this.#r.crypto, state),
    });
    this.#h.db.transact((w) => {
      groupRecords.putGroup(w, g);
      groupRecords.putState(w, g.groupId, encodeGroupState(state));
    });
    const events = [this.#r.event(g, 'created', [me.accountId], me, 0)];
    events.push(
      ...(await this.#add(
        g.groupId,
        contacts.map((c) => c.accountId),
      )),
    );
    return { groupId: g.groupId, events };
  }

  async #contacts(usernames: readonly string[]): Promise<ContactRecord[]> {
    if (usernames.length > MAX_USERS_PER_GROUP_CHANGE)
      throw new ClientError('INVALID_INPUT', `at most ${MAX_USERS_PER_GROUP_CHANGE} users at once`);
    const out: ContactRecord[] = [];
    for (const u of usernames) {
      const c = await this.#h.resolveContact(u);
      if (c.pendingKey !== undefined)
        throw new ClientError(
          'KEY_CHANGED',
          `${c.username}'s key changed; verify it, then accept it`,
        );
      out.push(c);
    }
    return out;
  }

  /** Adds every listed device of each user (and our own other devices) not yet in the group. */
  async add(ref: string, usernames: readonly string[]): Promise<GroupEvent[]> {
    const g = this.#active(ref);
    return this.#add(
      g.groupId,
      (await this.#contacts(usernames)).map((c) => c.accountId),
    );
  }

  #active(ref: string): GroupRecord {
    const g = this.resolve(ref);
    if (g.status !== 'active') throw new ClientError('MISUSE', `we are leaving ${g.name}`);
    return g;
  }

  async #add(groupId: string, users: readonly string[]): Promise<GroupEvent[]> {
    const me = this.#h.account();
    const accountIds = [...new Set([...users, me.accountId])];
    const claimed = new Map<string, { deviceId: number; keyPackage: string }[]>();
    const refused: GroupEvent[] = [];
    const g = groupRecords.group(this.#h.db, groupId) ?? { groupId, name: '' };
    const events = await this.#change(groupId, async (state, lists) => {
      refused.length = 0;
      const present = new Set(roster(state).map((l) => `${l.accountId}/${l.deviceId}`));
      const proposals: Proposal[] = [];
      for (const accountId of accountIds) {
        const wanted = (await lists.devices(accountId)).filter(
          (d) => d.mlsSignatureKey !== undefined && !present.has(`${accountId}/${d.deviceId}`),
        );
        if (wanted.length === 0) continue;
        let kps = claimed.get(accountId);
        if (kps === undefined) {
          kps = (await this.#h.relay.claimKeyPackages(this.#h.auth(), accountId)).devices;
          claimed.set(accountId, kps);
        }
        for (const kp of kps) {
          if (present.has(`${accountId}/${kp.deviceId}`)) continue;
          let decoded: MlsMessage | undefined;
          try {
            decoded = decodeMlsMessage(fromBase64(kp.keyPackage));
          } catch {
            decoded = undefined;
          }
          const leaf =
            decoded?.wireFormat === WireFormat.keyPackage ? decoded.keyPackage : undefined;
          const device = leaf && credentialDevice(leaf.leafNode.credential);
          if (
            leaf === undefined ||
            device?.accountId !== accountId ||
            device.deviceId !== kp.deviceId ||
            !wanted.some((d) => d.deviceId === kp.deviceId) ||
            !lists.backs(device, leaf.leafNode.signatureKey)
          ) {
            refused.push({
              type: 'group-refused',
              groupId,
              group: g.name,
              code: 'UNBACKED_MEMBER',
              reason: `a KeyPackage for ${this.#h.username(accountId)} device ${kp.deviceId} that the signed device list does not back`,
            });
            continue;
          }
          proposals.push({ proposalType: ProposalType.add, keyPackage: leaf });
        }
      }
      return proposals.length > 0 ? proposals : undefined;
    });
    return [...refused, ...events];
  }

  /** Removes every leaf of each user. */
  async remove(ref: string, usernames: readonly string[]): Promise<GroupEvent[]> {
    const g = this.#active(ref);
    const contacts = await this.#contacts(usernames);
    const me = this.#h.account();
    if (contacts.some((c) => c.accountId === me.accountId))
      throw new ClientError('MISUSE', 'to remove yourself, leave the group');
    const targets = new Set(contacts.map((c) => c.accountId));
    return this.#change(g.groupId, (state) => {
      const proposals = roster(state)
        .filter((l) => targets.has(l.accountId))
        .map((l): Proposal => ({ proposalType: ProposalType.remove, removed: l.leaf }));
      return Promise.resolve(proposals.length > 0 ? proposals : undefined);
    });
  }

  /**
   * Leaves: proposes removing every leaf of our account (all our devices leave) and stops
   * sending; another member commits it, and the commit that removes us marks the group left.
   */
  async leave(ref: string): Promise<GroupEvent[]> {
    const g = this.#active(ref);
    const events = await this.#r.catchUp(g.groupId, this.#r.lists());
    // Messages queued before leaving go first (those that cannot go now stay queued).
    events.push(...(await this.#outbox.flush({ groupId: g.groupId, catchUp: true })).events);
    const current = groupRecords.group(this.#h.db, g.groupId);
    if (!following(current)) return events;
    await this.#proposeLeave(current);
    return events;
  }

  async #proposeLeave(g: GroupRecord): Promise<void> {
    const me = this.#h.account();
    const { epoch, messages, token } = this.#h.db.transact((w) => {
      let state = this.#r.stateIn(w, g.groupId);
      const madeIn = epochOf(state);
      const epochToken = groupDeliveryToken(this.#r.crypto, state);
      const out: string[] = [];
      for (const l of roster(state).filter((x) => x.accountId === me.accountId)) {
        const sent = createProposal(
          this.#r.crypto,
          state,
          { proposalType: ProposalType.remove, removed: l.leaf },
          this.#r.signatureKey(),
          { privateMessage: true },
        );
        state = sent.state;
        const bytes = encodeMlsMessage(sent.message);
        rememberPost(this.#h.primitives, w, bytes);
        out.push(toBase64(bytes));
      }
      groupRecords.putState(w, g.groupId, encodeGroupState(state));
      groupRecords.putGroup(w, { ...g, status: 'leaving' });
      return { epoch: madeIn, messages: out, token: epochToken };
    });
    try {
      for (const message of messages) {
        await postGroupMessage(this.#h, g.groupId, token, {
          clientMessageId: this.#h.id(),
          epoch,
          message,
        });
      }
    } catch (e) {
      // A commit got in first: our proposals died with that epoch. Once the commit is processed,
      // `maintain` sees a leaving group without our proposals and proposes again.
      if (!(e instanceof RelayCallError && e.relayCode === 'EPOCH_CONFLICT')) throw e;
    }
  }

  /**
   * Queues `text` for the group (durably, before any network I/O), then flushes the group's
   * outbox in order: earlier queued messages first, after processing any commits we have not
   * seen. `queued` if the relay could not take it now; throws if it can never be sent.
   */
  async send(
    ref: string,
    text: string,
    options: { attachments?: readonly AttachmentPointer[]; replyTo?: string } = {},
  ): Promise<GroupSendResult> {
    const g = this.#sendable(ref);
    return this.#deliver(g, this.#outbox.queue(g, text, options));
  }

  /**
   * Reacts to, edits or deletes for everyone a message of the group: applied here and queued
   * for every member device (ours included), in one transaction. Only the author edits or
   * deletes; a deleted message takes nothing more.
   */
  async act(ref: string, target: string, action: MessageAction): Promise<GroupSendResult> {
    const g = this.#sendable(ref);
    const me = this.#h.account();
    const m = checkOwnAction(groupRecords.message(this.#h.db, g.groupId, target), action);
    const at = this.#h.now();
    const id = this.#outbox.queueContent(g, actionContent(action, target, at), undefined, (w) => {
      const done = actedOn(m, m.fromAccount, me.accountId, action, at);
      if ('refused' in done) throw new ClientError('INVALID_INPUT', done.refused);
      groupRecords.putMessage(w, done.message);
    });
    return this.#deliver(g, id);
  }

  /** Sends other content to the group (typing, timer) after `apply` ran with it queued. */
  async sendContent(
    ref: string,
    content: Content,
    apply?: (w: StorageWriter, groupId: string) => void,
  ): Promise<GroupSendResult> {
    const g = this.#sendable(ref);
    const id = this.#outbox.queueContent(g, content, undefined, (w) => apply?.(w, g.groupId));
    return this.#deliver(g, id);
  }

  #sendable(ref: string): GroupRecord {
    const g = this.#active(ref);
    if (g.blocked !== undefined)
      throw new ClientError('MISUSE', `we can no longer send to ${g.name}`);
    return g;
  }

  /** Flushes the group's outbox after queueing `id`; its outcome. */
  async #deliver(g: GroupRecord, id: string): Promise<GroupSendResult> {
    const flushed = await this.#outbox.flush({ groupId: g.groupId, catchUp: true });
    const events = flushed.events;
    const sent = flushed.sent.get(id);
    if (sent !== undefined) return { messageId: id, status: 'sent', ...sent, events };
    const failed = flushed.failed.get(id);
    if (failed !== undefined) {
      this.#outbox.forget(id);
      throw failed;
    }
    return {
      messageId: id,
      status: 'queued',
      code: flushed.held.get(g.groupId) ?? 'UNREACHABLE',
      events,
    };
  }

  /**
   * Delivers queued group messages (`group-outbox.ts`). With `catchUp`, groups are brought up
   * to date from the commit log first and the events are returned, with the failures to report.
   */
  async flushOutbox(catchUp: boolean): Promise<{ waiting: number; events: GroupEvent[] }> {
    const flushed = await this.#outbox.flush({ catchUp });
    const events = catchUp ? [...flushed.events, ...this.#outbox.reportFailures()] : [];
    return { waiting: flushed.waiting, events };
  }

  /**
   * One group change as a commit: `plan` computes the proposals from the current state (or
   * undefined when nothing is left to do); on `EPOCH_CONFLICT` the commits since are processed
   * and the plan runs again.
   */
  async #change(
    groupId: string,
    plan: (state: GroupState, lists: DeviceLists) => Promise<readonly Proposal[] | undefined>,
  ): Promise<GroupEvent[]> {
    const events: GroupEvent[] = [];
    const h = this.#h;
    for (let attempt = 0; attempt <= MAX_COMMIT_RETRIES; attempt++) {
      const lists = this.#r.lists();
      let g = groupRecords.group(h.db, groupId);
      if (g?.pendingCommit !== undefined) {
        // An earlier commit of ours whose answer was lost: adopt it if the log has it.
        events.push(...(await this.#r.catchUp(groupId, lists)));
        g = groupRecords.group(h.db, groupId);
        if (g !== undefined) {
          const settled = withoutPending(g);
          h.db.transact((w) => {
            groupRecords.deletePending(w, groupId);
            groupRecords.putGroup(w, settled);
          });
          g = settled;
        }
      }
      if (g?.status !== 'active' || g.blocked !== undefined)
        throw new ClientError('MISUSE', 'the group can no longer be changed from this device');
      const state = this.#r.state(groupId);
      const proposals = await plan(state, lists);
      if (proposals === undefined) return events;
      const created = await lists.run((policy) =>
        createCommit(this.#r.crypto, state, {
          signaturePrivateKey: this.#r.signatureKey(),
          proposals,
          privateMessage: true,
          psks: noPsks,
          policy,
        }),
      );
      const epoch = epochOf(state);
      const commit = toBase64(encodeMlsMessage(created.message));
      const record = g;
      h.db.transact((w) => {
        groupRecords.putPending(w, groupId, encodeGroupState(created.state));
        groupRecords.putGroup(w, { ...record, pendingCommit: { epoch, commit } });
      });
      const request = {
        epoch,
        commit,
        members: roster(created.state).map((l) => ({
          accountId: l.accountId,
          deviceId: l.deviceId,
        })),
        ...(created.welcome && {
          welcome: toBase64(
            encodeMlsMessage({ wireFormat: WireFormat.welcome, welcome: created.welcome }),
          ),
        }),
        nextDeliveryTokenHash: deliveryTokenHash(h.primitives, this.#r.crypto, created.state),
      };
      try {
        // Sealed with this epoch's token; authenticated if the relay will not take it so.
        const token = toBase64(groupDeliveryToken(this.#r.crypto, state));
        const sealed = await sealedOrUndefined(() =>
          h.relay.sealedCommitToGroup(groupId, { ...request, deliveryToken: token }),
        );
        if (sealed === undefined) await h.relay.commitToGroup(h.auth(), groupId, request);
      } catch (e) {
        if (e instanceof RelayCallError) {
          h.db.transact((w) => {
            groupRecords.deletePending(w, groupId);
            groupRecords.putGroup(w, record);
          });
          if (e.relayCode === 'EPOCH_CONFLICT') {
            events.push(...(await this.#r.catchUp(groupId, lists)));
            continue;
          }
        }
        throw e;
      }
      h.db.transact((w) => {
        groupRecords.putState(w, groupId, encodeGroupState(created.state));
        groupRecords.deletePending(w, groupId);
        groupRecords.putGroup(w, record);
      });
      const proposalsWithProposer = [
        ...state.pendingProposals.map((p) => ({
          proposal: p.proposal,
          proposer: p.sender.senderType === SenderType.member ? p.sender.leafIndex : -1,
        })),
        ...proposals.map((proposal) => ({ proposal, proposer: state.ownLeaf })),
      ];
      events.push(
        ...this.#r.changeEvents(record, state, created.state, state.ownLeaf, proposalsWithProposer),
      );
      return events;
    }
    throw new ClientError(
      'GROUP_CONFLICT',
      `other members kept changing the group; tried ${MAX_COMMIT_RETRIES + 1} times`,
    );
  }

  /**
   * Members' requests to be added again (`RejoinRequest`): the device's leaf is removed if it
   * still holds the key the request names, then the device is added from a fresh KeyPackage.
   * Only a current member's own device can be re-added this way, never one that is out.
   */
  async #serveRejoins(): Promise<GroupEvent[]> {
    const events: GroupEvent[] = [];
    const h = this.#h;
    for (const q of groupRecords.rejoinRequests(h.db)) {
      const g = groupRecords.group(h.db, q.groupId);
      if (
        g?.status === 'active' &&
        g.blocked === undefined &&
        h.now() - q.receivedAt < REJOIN_REQUEST_MAX_AGE_MS
      ) {
        const holds = (state: GroupState) => {
          const l = roster(state).find(
            (x) => x.accountId === q.accountId && x.deviceId === q.deviceId,
          );
          const key =
            l === undefined ? undefined : state.tree.leaf(leafIndex(l.leaf))?.encryptionKey;
          return l !== undefined && key !== undefined && toBase64(key) === q.leafKey
            ? l
            : undefined;
        };
        if (holds(this.#r.state(g.groupId)) !== undefined) {
          events.push(
            ...(await this.#change(g.groupId, (state) => {
              const l = holds(state);
              return Promise.resolve(
                l === undefined
                  ? undefined
                  : [{ proposalType: ProposalType.remove, removed: l.leaf }],
              );
            })),
          );
          if (holds(this.#r.state(g.groupId)) === undefined)
            events.push(...(await this.#add(g.groupId, [q.accountId])));
        }
      }
      h.db.transact((w) => {
        groupRecords.deleteRejoinRequest(w, q);
      });
    }
    return events;
  }

  /**
   * Work that follows receiving: commit other members' pending proposals (a leave request),
   * re-propose our leave after an epoch change dropped it, top up KeyPackages after a join.
   */
  async maintain(): Promise<GroupEvent[]> {
    const events: GroupEvent[] = [];
    if (this.#r.keyPackageUsed) {
      this.#r.keyPackageUsed = false;
      await topUpKeyPackages(this.#kpContext());
    }
    await retireUsedLastResort(this.#kpContext(), this.#h.now());
    events.push(...(await this.#serveRejoins()));
    for (const g of groupRecords.groups(this.#h.db)) {
      if (!following(g) || g.blocked !== undefined) continue;
      if (g.status === 'active' && g.proposals !== true) continue;
      const state = this.#r.state(g.groupId);
      const ours = state.pendingProposals.some(
        (p) => p.sender.senderType === SenderType.member && p.sender.leafIndex === state.ownLeaf,
      );
      if (g.status === 'leaving') {
        if (!ours) await this.#proposeLeave(g);
        continue;
      }
      const removesUs = state.pendingProposals.some(
        (p) =>
          p.proposal.proposalType === ProposalType.remove && p.proposal.removed === state.ownLeaf,
      );
      if (state.pendingProposals.length === 0 || removesUs) {
        this.#h.db.transact((w) => {
          groupRecords.putGroup(w, withoutPending(groupRecords.group(w, g.groupId) ?? g));
        });
        continue;
      }
      events.push(
        ...(await this.#change(g.groupId, (s) =>
          Promise.resolve(s.pendingProposals.length > 0 ? [] : undefined),
        )),
      );
    }
    return events;
  }
}
