/**
 * Receiving group traffic: what the relay queues (commits, Welcomes, application messages and
 * proposals) and the commit log. Each processed envelope's state change, stored message and
 * seen mark are one transaction, like 1:1 messages.
 *
 * What we trust, and why:
 * - Commits come only from the group's log, which holds exactly the commit the relay accepted
 *   from a member for each epoch; a queued commit is only a sign that the group moved on. So an
 *   envelope nobody can authenticate never changes group state. A logged commit that cannot be
 *   accepted blocks the group at that epoch on this device, which then asks the other members
 *   to add it again (`rejoin`); a Welcome for a later epoch lifts the block.
 * - A Welcome is accepted only for a group we do not follow, at an epoch later than any we
 *   know the group reached, and a last-resort KeyPackage joins a group at most once: an old
 *   Welcome replayed cannot put us back into a group we left or were removed from.
 * - A late message (of the previous epoch) is attributed to the member who held the leaf in
 *   that epoch, not to whoever holds it now.
 */
import { GROUP_MESSAGE_TYPES, type Envelope } from '@parley/api';
import { fromBase64, fromHex, toBase64, toBase64Url, toHex } from '@parley/bytes';
import {
  ContentType,
  MlsCrypto,
  MlsError,
  ProposalType,
  SenderType,
  WireFormat,
  computePskSecret,
  decodeGroupState,
  decodeMlsMessage,
  decryptApplicationMessage,
  decryptGroupInfo,
  decryptGroupSecrets,
  encodeGroupState,
  groupStateFromJoin,
  joinFromWelcome,
  leafIndex,
  processCommit,
  processProposal,
  unprotectPrivate,
  type GroupState,
  type MlsMessage,
  type Welcome,
} from '@parley/mls';
import { decodeContent } from './content.js';
import { applyGroupContent } from './group-actions.js';
import { expiryOf } from './disappearing.js';
import { ClientError, type ClientErrorCode } from './errors.js';
import { DeviceLists } from './group-auth.js';
import { keyPackageFor, signatureKey } from './group-key-packages.js';
import {
  groupRecords,
  type GroupMessageRecord,
  type GroupRecord,
  type KeyPackageSecret,
} from './group-records.js';
import { credentialDevice } from './group-auth.js';
import { GROUP_CIPHER_SUITE, diffRosters, groupName, leafDevice, roster } from './group-roster.js';
import { ownPost } from './group-sealed.js';
import { RelayCallError } from './http.js';
import { MAX_COMMIT_PAGES_PER_CATCH_UP } from './limits.js';
import { records } from './state.js';
import type { StorageReader, StorageWriter } from './storage.js';
import {
  epochOf,
  following,
  groupIdOf,
  noPsks,
  withoutPending,
  type CommitProposal,
  type GroupChange,
  type GroupEvent,
  type GroupHost,
} from './group-host.js';

export class GroupReceiver {
  readonly #h: GroupHost;
  readonly crypto: MlsCrypto;
  /** A Welcome used a one-time KeyPackage since the last top-up check. */
  keyPackageUsed = false;

  constructor(host: GroupHost) {
    this.#h = host;
    this.crypto = new MlsCrypto(host.primitives, GROUP_CIPHER_SUITE);
  }

  /** The clock in seconds, as MLS lifetimes count. */
  nowSeconds(): bigint {
    return BigInt(Math.floor(this.#h.now() / 1000));
  }

  /** Device lists for one operation (fetched at most once each). */
  lists(): DeviceLists {
    return new DeviceLists(
      (id) => this.#h.deviceList(id),
      () => this.nowSeconds(),
    );
  }

  /** This device's MLS signature private key (`MISUSE` for a device made before groups). */
  signatureKey(): Uint8Array {
    const key = signatureKey(this.#h.account());
    if (key === undefined)
      throw new ClientError('MISUSE', 'this device has no MLS key (registered before groups)');
    return key;
  }

  /** A group's stored MLS state. */
  state(groupId: string): GroupState {
    return this.stateIn(this.#h.db, groupId);
  }

  /** A group's MLS state as `r` sees it (inside a transaction: as it will be written over). */
  stateIn(r: StorageReader, groupId: string): GroupState {
    const bytes = groupRecords.state(r, groupId);
    if (bytes === undefined) throw new ClientError('UNKNOWN_GROUP', 'the group has no state');
    return decodeGroupState(this.crypto, bytes);
  }

  #storedEpoch(r: StorageReader, groupId: string): number | undefined {
    const bytes = groupRecords.state(r, groupId);
    return bytes === undefined ? undefined : epochOf(decodeGroupState(this.crypto, bytes));
  }

  /** A `group-change` event, with usernames for account ids. */
  event(
    g: { groupId: string; name: string },
    change: GroupChange,
    accountIds: readonly string[],
    by: { accountId: string; deviceId: number } | undefined,
    epoch: number,
  ): GroupEvent {
    return {
      type: 'group-change',
      groupId: g.groupId,
      group: g.name,
      change,
      users: accountIds.map((id) => this.#h.username(id)),
      by: by === undefined ? 'an unknown member' : this.#h.username(by.accountId),
      byDevice: by?.deviceId ?? 0,
      epoch,
    };
  }

  /** The membership events of a commit from `before` to `after` by leaf `committer`. */
  changeEvents(
    g: GroupRecord,
    before: GroupState,
    after: GroupState,
    committer: number,
    proposals: readonly CommitProposal[],
  ): GroupEvent[] {
    const by = leafDevice(before, committer);
    const selfRemoved = new Set<string>();
    for (const { proposal, proposer } of proposals) {
      if (proposal.proposalType !== ProposalType.remove) continue;
      const target = leafDevice(before, proposal.removed);
      const from = leafDevice(before, proposer);
      if (target !== undefined && from?.accountId === target.accountId)
        selfRemoved.add(target.accountId);
    }
    return diffRosters(roster(before), roster(after), selfRemoved).map((c) =>
      this.event(g, c.change, c.accountIds, by, epochOf(after)),
    );
  }

  /**
   * Reports a refusal; with `blockEpoch`, the group cannot follow past that epoch any more, and
   * in the same transaction every other member account is asked to add this device again.
   */
  #refuse(
    g: { groupId: string; name: string },
    code: ClientErrorCode,
    reason: string,
    seen: (w: StorageWriter) => void,
    blockEpoch?: number,
  ): GroupEvent[] {
    this.#h.db.transact((w) => {
      const current = groupRecords.group(w, g.groupId);
      if (blockEpoch !== undefined && current !== undefined) {
        groupRecords.putGroup(w, { ...current, blocked: { epoch: blockEpoch, code } });
        this.#askToRejoin(w, g.groupId);
      }
      seen(w);
    });
    return [{ type: 'group-refused', groupId: g.groupId, group: g.name, code, reason }];
  }

  /**
   * After a restore from a backup: the group waits at the epoch of its stored state (which may
   * be behind) and asks the other members to add this device again.
   */
  holdForRejoin(w: StorageWriter, groupId: string): void {
    const g = groupRecords.group(w, groupId);
    const bytes = groupRecords.state(w, groupId);
    if (!following(g) || bytes === undefined) return;
    const epoch = epochOf(decodeGroupState(this.crypto, bytes));
    groupRecords.putGroup(w, { ...g, blocked: { epoch, code: 'RESTORED' } });
    this.#askToRejoin(w, groupId);
  }

  /** Queues a `group-rejoin` request to every other member account of the group's last state. */
  #askToRejoin(w: StorageWriter, groupId: string): void {
    const bytes = groupRecords.state(w, groupId);
    if (bytes === undefined) return;
    const state = decodeGroupState(this.crypto, bytes);
    const leaf = state.tree.leaf(state.ownLeaf);
    if (leaf === undefined) return;
    const me = this.#h.account();
    const others = new Set(roster(state).map((l) => l.accountId));
    others.delete(me.accountId);
    for (const accountId of others)
      this.#h.queueDirect(w, accountId, {
        kind: 'group-rejoin',
        groupId,
        leafKey: toBase64(leaf.encryptionKey),
      });
  }

  /** Processes one queued group envelope (types 32–34); marks it seen with its effects. */
  async processEnvelope(env: Envelope, lists: DeviceLists): Promise<GroupEvent[]> {
    const seen = (w: StorageWriter): void => {
      records.markSeen(w, env.guid, this.#h.now());
    };
    const unknown = { groupId: '', name: '' };
    const bytes = fromBase64(env.content);
    // The echo of a sealed post of ours (the relay queues those for our device too), dropped;
    // it shows the relay took that outbox entry. A commit's echo goes on: the log is read and
    // our commit recognised by its bytes there.
    const own =
      env.type === GROUP_MESSAGE_TYPES.application
        ? ownPost(this.#h.primitives, this.#h.db, bytes)
        : undefined;
    if (own !== undefined) {
      this.#h.db.transact((w) => {
        seen(w);
        const entry =
          own.outbox === undefined ? undefined : groupRecords.outboxEntry(w, own.outbox);
        if (entry !== undefined) groupRecords.markSent(w, entry.groupId, entry.clientMessageId);
      });
      return [];
    }
    let msg: MlsMessage;
    try {
      msg = decodeMlsMessage(bytes);
    } catch {
      return this.#refuse(unknown, 'GROUP_REFUSED', 'a group message that does not parse', seen);
    }
    if (env.type === GROUP_MESSAGE_TYPES.welcome) return this.#onWelcome(msg, lists, seen);
    const groupId = groupIdOf(msg);
    const g = groupId === undefined ? undefined : groupRecords.group(this.#h.db, groupId);
    if (!following(g) || g.blocked !== undefined) {
      this.#h.db.transact(seen);
      return [];
    }
    if (env.type === GROUP_MESSAGE_TYPES.commit) return this.#onCommit(g, msg, lists, seen);
    return this.#onGroupMessage(g, msg, lists, seen, env);
  }

  /**
   * A queued commit: a sign that the group moved on. What we apply comes from the log. Only if
   * the relay no longer lets us read the log (we are no longer a member there) do we look at
   * the queued copy, and then only to learn that we were removed: that copy is checked by MLS
   * like any commit, and anything else in it is ignored without blocking the group.
   */
  async #onCommit(
    g: GroupRecord,
    msg: MlsMessage,
    lists: DeviceLists,
    seen: (w: StorageWriter) => void,
  ): Promise<GroupEvent[]> {
    // The log is processed up to the commit this envelope announces (its epoch is only a
    // bound: the rest of the queue, messages of the epochs between, stays readable in order).
    const announced =
      msg.wireFormat === WireFormat.privateMessage ? Number(msg.privateMessage.epoch) : undefined;
    let events: GroupEvent[];
    try {
      events = await this.catchUp(
        g.groupId,
        lists,
        announced === undefined ? undefined : announced + 1,
      );
    } catch (e) {
      if (!(e instanceof RelayCallError && e.body.code === 'FORBIDDEN')) throw e;
      events = this.#removalIn(g, msg);
    }
    this.#h.db.transact(seen);
    return events;
  }

  /** Our removal, if `msg` is a valid commit of our epoch that removes our leaf; else nothing. */
  #removalIn(g: GroupRecord, msg: MlsMessage): GroupEvent[] {
    const state = this.state(g.groupId);
    let peek;
    try {
      peek = this.#peek(state, msg);
    } catch (e) {
      if (!(e instanceof MlsError)) throw e;
      return [];
    }
    if (
      Number(msg.wireFormat === WireFormat.privateMessage && msg.privateMessage.epoch) !==
      epochOf(state)
    )
      return [];
    return this.#removal(g, state, peek) ?? [];
  }

  /** Marks us left or removed when a commit's proposals remove our leaf; undefined otherwise. */
  #removal(
    g: GroupRecord,
    state: GroupState,
    peek: { sender: number; proposals: CommitProposal[] },
  ): GroupEvent[] | undefined {
    const removal = peek.proposals.find(
      (p) =>
        p.proposal.proposalType === ProposalType.remove && p.proposal.removed === state.ownLeaf,
    );
    if (removal === undefined) return undefined;
    const epoch = epochOf(state);
    const me = this.#h.account();
    const left = leafDevice(state, removal.proposer)?.accountId === me.accountId;
    this.#h.db.transact((w) => {
      groupRecords.putGroup(w, {
        ...withoutPending(g),
        status: left ? 'left' : 'removed',
        knownEpoch: epoch + 1,
      });
      groupRecords.deleteState(w, g.groupId);
    });
    return [
      this.event(
        g,
        left ? 'left' : 'removed',
        [me.accountId],
        leafDevice(state, peek.sender),
        epoch + 1,
      ),
    ];
  }

  /** The committer and proposals of a commit, decrypted without changing the state. */
  #peek(state: GroupState, msg: MlsMessage): { sender: number; proposals: CommitProposal[] } {
    if (msg.wireFormat !== WireFormat.privateMessage)
      throw new MlsError('INVALID_MESSAGE', 'not a PrivateMessage');
    const { content } = unprotectPrivate(this.crypto, msg.privateMessage, {
      context: state.groupContext,
      secretTree: state.secretTree,
      senderDataSecret: state.secrets.senderDataSecret,
      signatureKey: (c) =>
        c.sender.senderType === SenderType.member && c.sender.leafIndex < state.tree.leafCount
          ? state.tree.leaf(leafIndex(c.sender.leafIndex))?.signatureKey
          : undefined,
    });
    const framed = content.content;
    if (framed.contentType !== ContentType.commit || framed.sender.senderType !== SenderType.member)
      throw new MlsError('INVALID_MESSAGE', 'not a member commit');
    const sender = framed.sender.leafIndex;
    const proposals = framed.commit.proposals.map((p): CommitProposal => {
      if (p.type === 1) return { proposal: p.proposal, proposer: sender };
      const found = state.pendingProposals.find((q) => toHex(q.reference) === toHex(p.reference));
      if (found === undefined) throw new MlsError('INVALID_MESSAGE', 'unknown proposal');
      return {
        proposal: found.proposal,
        proposer: found.sender.senderType === SenderType.member ? found.sender.leafIndex : -1,
      };
    });
    return { sender, proposals };
  }

  /** Processes another member's commit of our current epoch (queue or log). */
  async #applyCommit(
    g: GroupRecord,
    state: GroupState,
    msg: MlsMessage,
    lists: DeviceLists,
    seen: (w: StorageWriter) => void,
  ): Promise<GroupEvent[]> {
    const epoch = epochOf(state);
    let peek;
    try {
      peek = this.#peek(state, msg);
    } catch (e) {
      if (!(e instanceof MlsError)) throw e;
      return this.#refuse(g, 'GROUP_REFUSED', 'a commit could not be read', seen, epoch);
    }
    const removed = this.#removal(g, state, peek);
    if (removed !== undefined) {
      this.#h.db.transact(seen);
      return removed;
    }
    let next: GroupState;
    try {
      next = await lists.run((policy) =>
        processCommit(this.crypto, state, msg, { psks: noPsks, policy }),
      );
    } catch (e) {
      if (e instanceof ClientError && e.code === 'UNBACKED_MEMBER')
        return this.#refuse(g, 'UNBACKED_MEMBER', e.message, seen, epoch);
      if (!(e instanceof MlsError)) throw e;
      return this.#refuse(g, 'GROUP_REFUSED', 'a commit was invalid', seen, epoch);
    }
    const applied = this.#h.db.transact((w) => {
      seen(w);
      // Another process of this device may have moved the group meanwhile: then it did this.
      if (this.#storedEpoch(w, g.groupId) !== epoch) return false;
      groupRecords.putState(w, g.groupId, encodeGroupState(next));
      groupRecords.deletePending(w, g.groupId);
      groupRecords.putGroup(w, withoutPending(groupRecords.group(w, g.groupId) ?? g));
      return true;
    });
    return applied ? this.changeEvents(g, state, next, peek.sender, peek.proposals) : [];
  }

  /**
   * Processes the relay's commit log from our epoch (up to `until`, if given): what a member
   * offline across several epochs, or one that lost the epoch race, needs before it can go on.
   */
  async catchUp(groupId: string, lists: DeviceLists, until?: number): Promise<GroupEvent[]> {
    const events: GroupEvent[] = [];
    const me = this.#h.account();
    const none = (): void => undefined;
    for (let page = 0; page < MAX_COMMIT_PAGES_PER_CATCH_UP; page++) {
      const g = groupRecords.group(this.#h.db, groupId);
      if (!following(g) || g.blocked !== undefined) return events;
      const from = epochOf(this.state(groupId));
      if (until !== undefined && from >= until) return events;
      const log = await this.#h.relay.groupCommits(this.#h.auth(), groupId, from);
      let progressed = false;
      for (const entry of log.commits) {
        const cur = groupRecords.group(this.#h.db, groupId);
        if (!following(cur) || cur.blocked !== undefined) return events;
        const state = this.state(groupId);
        const epoch = epochOf(state);
        if (until !== undefined && epoch >= until) return events;
        if (entry.epoch !== epoch) continue;
        // Our own commit is the one whose bytes we kept while it was pending: a sealed commit is
        // logged with no sender, and what the relay says about the sender is not trusted anyway.
        // A log entry the relay says is ours that is not is one we lost.
        const stored = groupRecords.pending(this.#h.db, groupId);
        const pending =
          cur.pendingCommit?.epoch === entry.epoch && cur.pendingCommit.commit === entry.commit
            ? stored
            : undefined;
        if (
          pending !== undefined ||
          (entry.senderAccountId === me.accountId && entry.senderDeviceId === me.deviceId)
        ) {
          if (pending === undefined)
            return [
              ...events,
              ...this.#refuse(
                cur,
                'GROUP_REFUSED',
                'the log holds a commit of ours we lost',
                none,
                epoch,
              ),
            ];
          this.#h.db.transact((w) => {
            groupRecords.putState(w, groupId, pending);
            groupRecords.deletePending(w, groupId);
            groupRecords.putGroup(w, withoutPending(cur));
          });
          progressed = true;
          continue;
        }
        let msg: MlsMessage;
        try {
          msg = decodeMlsMessage(fromBase64(entry.commit));
        } catch {
          return [
            ...events,
            ...this.#refuse(cur, 'GROUP_REFUSED', 'a logged commit does not parse', none, epoch),
          ];
        }
        events.push(...(await this.#applyCommit(cur, state, msg, lists, none)));
        progressed = true;
      }
      if (!log.more || !progressed) return events;
    }
    return events;
  }

  /**
   * Processes the commit log up to `epoch` if a message names a later one than ours (its events
   * go to `events`); then the group and its state, or undefined, with the envelope marked seen,
   * when we no longer follow the group or it is blocked.
   */
  async #reach(
    groupId: string,
    epoch: number,
    lists: DeviceLists,
    seen: (w: StorageWriter) => void,
    events: GroupEvent[],
  ): Promise<{ readonly group: GroupRecord; readonly state: GroupState } | undefined> {
    if (epoch > epochOf(this.state(groupId)))
      events.push(...(await this.catchUp(groupId, lists, epoch)));
    const group = groupRecords.group(this.#h.db, groupId);
    if (!following(group) || group.blocked !== undefined) {
      this.#h.db.transact(seen);
      return undefined;
    }
    return { group, state: this.state(groupId) };
  }

  async #onGroupMessage(
    g: GroupRecord,
    msg: MlsMessage,
    lists: DeviceLists,
    seen: (w: StorageWriter) => void,
    env: Envelope,
  ): Promise<GroupEvent[]> {
    if (msg.wireFormat !== WireFormat.privateMessage)
      return this.#refuse(g, 'GROUP_REFUSED', 'a group message that is not private', seen);
    const events: GroupEvent[] = [];
    const epoch = Number(msg.privateMessage.epoch);
    const reached = await this.#reach(g.groupId, epoch, lists, seen, events);
    if (reached === undefined) return events;
    const { state } = reached;
    if (msg.privateMessage.contentType === ContentType.proposal) {
      if (epoch !== epochOf(state)) {
        this.#h.db.transact(seen);
        return events;
      }
      try {
        // Fetch the lists it needs, then decide again on the state as stored, in the transaction.
        await lists.run((policy) => processProposal(this.crypto, state, msg, policy));
        this.#h.db.transact((w) => {
          const next = lists.decide((policy) =>
            processProposal(this.crypto, this.stateIn(w, g.groupId), msg, policy),
          );
          groupRecords.putState(w, g.groupId, encodeGroupState(next));
          groupRecords.putGroup(w, { ...(groupRecords.group(w, g.groupId) ?? g), proposals: true });
          seen(w);
        });
      } catch (e) {
        if (!(e instanceof MlsError) && !(e instanceof ClientError)) throw e;
        return [...events, ...this.#refuse(g, 'GROUP_REFUSED', 'a proposal was refused', seen)];
      }
      return events;
    }
    const me = this.#h.account();
    // A sender retries a message whose answer was lost (`group-outbox.ts`) with the same id; our
    // relay deduplicates, but a relay need not be trusted to: a second copy of a message we have
    // from that device is acknowledged without an event. The same bytes again no longer decrypt (the
    // key was used), so the envelope's client message id, which the sender sets to the message
    // id, recognises them; a copy made again in a later epoch decrypts and its content id does.
    // A sealed envelope names no sender: a copy of it is any message we have under its id.
    const copyOf = (
      w: StorageReader,
      id: string,
      from: { accountId: string; deviceId: number } | undefined,
    ): boolean => {
      const known = groupRecords.message(w, g.groupId, id);
      if (from === undefined) return known !== undefined;
      return known?.fromAccount === from.accountId && known.fromDevice === from.deviceId;
    };
    // Decrypted on the state as stored, in the transaction that stores its ratchet step, so two
    // processes of this device never overwrite each other's steps.
    const outcome = this.#h.db.transact(
      (w): { event?: GroupEvent } | { refused: string } | { copy: true } => {
        let got;
        try {
          got = decryptApplicationMessage(this.crypto, this.stateIn(w, g.groupId), msg);
        } catch (e) {
          if (!(e instanceof MlsError)) throw e;
          seen(w);
          const sender =
            env.senderAccountId === ''
              ? undefined
              : { accountId: env.senderAccountId, deviceId: env.senderDeviceId };
          if (copyOf(w, env.clientMessageId, sender)) return { copy: true };
          return { refused: 'a group message could not be decrypted' };
        }
        groupRecords.putState(w, g.groupId, encodeGroupState(got.state));
        seen(w);
        // Named by the tree of the epoch the message was made in: the leaf may have changed
        // hands since (its member removed, a new one added in its place).
        const device =
          got.senderCredential === undefined ? undefined : credentialDevice(got.senderCredential);
        if (device === undefined)
          return { refused: 'the sender of a late group message is no longer known' };
        let content;
        try {
          content = decodeContent(got.data);
        } catch {
          content = { kind: 'unsupported' } as const;
        }
        if (content.kind !== 'text')
          return applyGroupContent(
            w,
            {
              group: g,
              from: device.accountId,
              username: (id) => this.#h.username(id),
              now: this.#h.now(),
            },
            content,
          );
        if (copyOf(w, content.id, device)) return { copy: true };
        const expiresAt = expiryOf(content);
        // Already past its timer (it waited too long somewhere): never stored, never shown.
        if (expiresAt !== undefined && expiresAt <= this.#h.now()) return {};
        const message: GroupMessageRecord = {
          id: content.id,
          groupId: g.groupId,
          direction: device.accountId === me.accountId ? 'out' : 'in',
          fromAccount: device.accountId,
          fromDevice: device.deviceId,
          text: content.text,
          sentAt: content.sentAt,
          ...(content.attachments === undefined ? {} : { attachments: content.attachments }),
          ...(content.replyTo === undefined ? {} : { replyTo: content.replyTo }),
          ...(expiresAt === undefined ? {} : { expiresAt }),
        };
        if (!groupRecords.hasMessage(w, g.groupId, message.id)) groupRecords.putMessage(w, message);
        return {
          event: {
            type: 'group-message',
            groupId: g.groupId,
            group: g.name,
            from: this.#h.username(message.fromAccount),
            fromDevice: message.fromDevice,
            message,
          },
        };
      },
    );
    if ('copy' in outcome) return events;
    if ('refused' in outcome)
      return [...events, ...this.#refuse(g, 'GROUP_REFUSED', outcome.refused, () => undefined)];
    if (outcome.event !== undefined) events.push(outcome.event);
    return events;
  }

  async #onWelcome(
    msg: MlsMessage,
    lists: DeviceLists,
    seen: (w: StorageWriter) => void,
  ): Promise<GroupEvent[]> {
    const unknown = { groupId: '', name: '' };
    if (msg.wireFormat !== WireFormat.welcome)
      return this.#refuse(unknown, 'GROUP_REFUSED', 'a Welcome that is not one', seen);
    const welcome = msg.welcome;
    const found = keyPackageFor(
      this.#h.db,
      welcome.secrets.map((s) => s.newMember),
    );
    const kpMsg = found && decodeMlsMessage(fromBase64(found.secret.keyPackage));
    if (found === undefined || kpMsg?.wireFormat !== WireFormat.keyPackage)
      return this.#refuse(unknown, 'GROUP_REFUSED', 'a Welcome for none of our KeyPackages', seen);
    const initPrivateKey = fromBase64(found.secret.initPrivateKey);
    let state: GroupState;
    try {
      const joined = await lists.run((policy) =>
        joinFromWelcome(this.crypto, {
          welcome,
          keyPackage: kpMsg.keyPackage,
          initPrivateKey,
          encryptionPrivateKey: fromBase64(found.secret.encryptionPrivateKey),
          psks: noPsks,
          policy,
        }),
      );
      state = groupStateFromJoin(this.crypto, joined);
    } catch (e) {
      if (e instanceof ClientError && e.code === 'UNBACKED_MEMBER')
        return this.#refuse(unknown, 'UNBACKED_MEMBER', e.message, seen);
      if (!(e instanceof MlsError)) throw e;
      return this.#refuse(unknown, 'GROUP_REFUSED', 'a Welcome was invalid', seen);
    }
    const groupId = toBase64Url(state.groupContext.groupId);
    const epoch = epochOf(state);
    const existing = groupRecords.group(this.#h.db, groupId);
    const stale = staleWelcome(existing, epoch, found.secret, groupId);
    if (stale !== undefined) {
      const g = { groupId, name: existing?.name ?? groupName(state) };
      // Following and up to date: a copy of the Welcome that added us; nothing to report.
      if (stale === '') {
        this.#h.db.transact(seen);
        return [];
      }
      return this.#refuse(g, 'GROUP_REFUSED', stale, seen);
    }
    const rejoined = following(existing);
    const g: GroupRecord = {
      groupId,
      name: groupName(state),
      status: 'active',
      createdAt: existing?.createdAt ?? this.#h.now(),
    };
    const signer = this.#welcomeSigner(welcome, fromHex(found.ref), initPrivateKey);
    this.#h.db.transact((w) => {
      groupRecords.putGroup(w, g);
      groupRecords.deletePending(w, g.groupId);
      groupRecords.putState(w, g.groupId, encodeGroupState(state));
      if (found.secret.lastResort)
        groupRecords.putKeyPackage(w, found.ref, {
          ...found.secret,
          joined: [...(found.secret.joined ?? []), groupId],
        });
      else groupRecords.deleteKeyPackage(w, found.ref);
      seen(w);
    });
    this.keyPackageUsed = true;
    const me = this.#h.account();
    return [
      this.event(
        g,
        rejoined ? 'rejoined' : 'joined',
        [me.accountId],
        leafDevice(state, signer),
        epoch,
      ),
    ];
  }

  /** The leaf that signed a Welcome's GroupInfo (verified by `joinFromWelcome` already). */
  #welcomeSigner(welcome: Welcome, ref: Uint8Array, initPrivateKey: Uint8Array): number {
    const c = this.crypto;
    const secrets = decryptGroupSecrets(c, welcome, ref, initPrivateKey);
    const welcomeSecret = c.deriveSecret(
      c.extract(secrets.joinerSecret, computePskSecret(c, [])),
      'welcome',
    );
    return decryptGroupInfo(c, welcome, welcomeSecret).signer;
  }
}

/**
 * Why a Welcome into `groupId` at `epoch` must not be used (`''`: a harmless copy, ignore it
 * quietly), or undefined when it may: we do not follow the group, or it is blocked before this
 * epoch; a group we left or were removed from takes only a Welcome for a later epoch than the
 * one we saw it reach; a last-resort KeyPackage joins a group at most once.
 */
function staleWelcome(
  existing: GroupRecord | undefined,
  epoch: number,
  keyPackage: KeyPackageSecret,
  groupId: string,
): string | undefined {
  if (keyPackage.lastResort && (keyPackage.joined ?? []).includes(groupId))
    return 'a Welcome from a KeyPackage that already joined this group (a replay)';
  if (existing === undefined) return undefined;
  if (existing.status === 'active' || existing.status === 'leaving') {
    if (existing.blocked === undefined) return '';
    return epoch > existing.blocked.epoch
      ? undefined
      : 'a Welcome older than the commit this device could not follow';
  }
  if (existing.knownEpoch === undefined)
    // Left before epochs were kept: a one-time KeyPackage cannot be replayed (its secret is
    // gone once used), a last-resort one could.
    return keyPackage.lastResort
      ? 'a Welcome into a group we left, from a reusable KeyPackage (possibly a replay)'
      : undefined;
  return epoch > existing.knownEpoch
    ? undefined
    : 'a Welcome into a group we left or were removed from, no newer than what we saw (a replay)';
}
