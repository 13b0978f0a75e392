/**
 * The client's groups behind a facade that loads the MLS group code (`group-code.ts`) only when
 * something needs it: creating or joining a group, a group envelope arriving, sending to a group,
 * KeyPackages to upload, or upkeep that the store says is due. The checks that decide it read
 * the group records only, so a client without groups (or with nothing to do for them) never
 * loads the code. Every operation behaves as `GroupEngine`'s: the load is one more await before
 * it starts, and a failed load fails the operation before it changed anything (a group envelope
 * is then neither stored nor acknowledged, and the next receive tries it again).
 */
import type { Envelope } from '@parley/api';
import type { AttachmentPointer, Content } from './content.js';
import { ClientError } from './errors.js';
import type { CodeSlot } from './code-slot.js';
import { groupCode, type GroupCode } from './group-code.js';
import {
  following,
  groupRecords,
  type GroupMessageRecord,
  type GroupRecord,
} from './group-records.js';
import { resolveGroup } from './group-resolve.js';
import type {
  GroupEngine,
  GroupEvent,
  GroupHost,
  GroupSendResult,
  GroupSummary,
} from './groups.js';
import type { MessageAction } from './message-actions.js';
import type { StorageReader, StorageWriter } from './storage.js';

export class LazyGroups {
  readonly #host: GroupHost;
  readonly #code: CodeSlot<GroupCode>;
  #engine: GroupEngine | undefined;

  constructor(host: GroupHost, code: CodeSlot<GroupCode> = groupCode) {
    this.#host = host;
    this.#code = code;
  }

  /** The engine if its code is loaded (constructed on first use), else undefined. */
  #loaded(): GroupEngine | undefined {
    if (this.#engine === undefined) {
      const code = this.#code.loaded();
      if (code !== undefined) this.#engine = new code.GroupEngine(this.#host);
    }
    return this.#engine;
  }

  /** The engine, loading its code first if needed. */
  async engine(): Promise<GroupEngine> {
    const now = this.#loaded();
    if (now !== undefined) return now;
    const code = await this.#code.load();
    this.#engine ??= new code.GroupEngine(this.#host);
    return this.#engine;
  }

  /** Processes one group envelope (types 32–34) with fresh device lists; see `GroupEngine`. */
  async processEnvelope(env: Envelope): Promise<GroupEvent[]> {
    const e = await this.engine();
    return e.processEnvelope(env, e.lists());
  }

  async uploadKeyPackages(initial: boolean): Promise<void> {
    return (await this.engine()).uploadKeyPackages(initial);
  }

  resolve(ref: string, past = false): GroupRecord {
    return this.#loaded()?.resolve(ref, past) ?? resolveGroup(this.#host.db, ref, past);
  }

  /**
   * Our groups and their rosters. The rosters come from the MLS state, so with groups in the
   * store this needs the group code: `MISUSE` until it is loaded (`ParleyClient.prepareGroups`).
   */
  list(): GroupSummary[] {
    const e = this.#loaded();
    if (e !== undefined) return e.list();
    if (groupRecords.groups(this.#host.db).length === 0) return [];
    throw new ClientError('MISUSE', 'the group code is not loaded yet; await prepareGroups()');
  }

  history(ref: string): GroupMessageRecord[] {
    return groupRecords.messages(this.#host.db, this.resolve(ref, true).groupId);
  }

  async create(
    name: string,
    usernames: readonly string[],
  ): Promise<{ groupId: string; events: GroupEvent[] }> {
    return (await this.engine()).create(name, usernames);
  }

  async add(ref: string, usernames: readonly string[]): Promise<GroupEvent[]> {
    return (await this.engine()).add(ref, usernames);
  }

  async remove(ref: string, usernames: readonly string[]): Promise<GroupEvent[]> {
    return (await this.engine()).remove(ref, usernames);
  }

  async leave(ref: string): Promise<GroupEvent[]> {
    return (await this.engine()).leave(ref);
  }

  async send(
    ref: string,
    text: string,
    options: { attachments?: readonly AttachmentPointer[]; replyTo?: string },
  ): Promise<GroupSendResult> {
    return (await this.engine()).send(ref, text, options);
  }

  async act(ref: string, target: string, action: MessageAction): Promise<GroupSendResult> {
    return (await this.engine()).act(ref, target, action);
  }

  async sendContent(
    ref: string,
    content: Content,
    apply?: (w: StorageWriter, groupId: string) => void,
  ): Promise<GroupSendResult> {
    return (await this.engine()).sendContent(ref, content, apply);
  }

  /** The group outbox's flush; with nothing queued (or failed) in it, no code is loaded. */
  async flushOutbox(catchUp: boolean): Promise<{ waiting: number; events: GroupEvent[] }> {
    const e = this.#loaded();
    if (e === undefined && groupRecords.outbox(this.#host.db).length === 0)
      return { waiting: 0, events: [] };
    return (e ?? (await this.engine())).flushOutbox(catchUp);
  }

  /** Group upkeep after receiving; when the store shows none is due, no code is loaded. */
  async maintain(): Promise<GroupEvent[]> {
    const e = this.#loaded();
    if (e === undefined && !upkeepDue(this.#host.db)) return [];
    return (e ?? (await this.engine())).maintain();
  }
}

/**
 * Whether `GroupEngine.maintain` has anything to do that the store shows: a rejoin request, a
 * last-resort KeyPackage that joined a group or waits to be deleted, a group we are leaving or
 * with pending proposals. (Its other trigger, a KeyPackage used in this process, needs the code
 * loaded already.)
 */
export function upkeepDue(db: StorageReader): boolean {
  if (groupRecords.rejoinRequests(db).length > 0) return true;
  for (const [, k] of groupRecords.keyPackages(db)) {
    if (k.retiredAt !== undefined) return true;
    if (k.lastResort && (k.joined ?? []).length > 0) return true;
  }
  return groupRecords
    .groups(db)
    .some(
      (g) =>
        following(g) && g.blocked === undefined && (g.status !== 'active' || g.proposals === true),
    );
}
