/**
 * The engine's group requests: create a group, describe it, and the membership changes (add,
 * remove, leave), whose events the engine turns into timeline lines.
 */
import type { ClientEvent, ParleyClient } from '@parley/client';
import { bounded, EngineError, usernames } from './engine-error.js';
import { MAX_GROUP_NAME_CHARS } from './limits.js';
import type { Mirror } from './mirror.js';
import {
  ENGINE_ERRORS,
  groupConvId,
  parseConvId,
  type AccountView,
  type ConversationId,
  type Requests,
} from './protocol.js';

export interface GroupHost {
  readonly client: ParleyClient;
  readonly mirror: Mirror;
  /** Our account; throws if there is none. */
  readonly requireAccount: () => AccountView;
  /** Handles an event of the SDK's (a membership change shows in the timeline). */
  readonly onEvent: (e: ClientEvent) => void;
}

export class GroupRequests {
  readonly #h: GroupHost;

  constructor(host: GroupHost) {
    this.#h = host;
  }

  groupId(conv: ConversationId): string {
    const target = parseConvId(conv);
    if (target?.kind !== 'group') throw new EngineError('INVALID_INPUT', 'not a group');
    return target.groupId;
  }

  async change(
    groupId: string,
    change: (groupId: string) => Promise<readonly ClientEvent[]>,
  ): Promise<void> {
    this.#h.requireAccount();
    for (const e of await change(groupId)) this.#h.onEvent(e);
  }

  async create(
    name: string,
    members: readonly string[],
  ): Promise<Requests['createGroup']['result']> {
    this.#h.requireAccount();
    const title = bounded(name.trim(), MAX_GROUP_NAME_CHARS, 'the group name');
    if (title === '') throw new EngineError('INVALID_INPUT', 'name the group');
    const { groupId, events } = await this.#h.client.createGroup(title, usernames(members));
    for (const e of events) this.#h.onEvent(e);
    const summary = this.#h.mirror.conversation(groupConvId(groupId));
    if (summary === undefined) throw new EngineError(ENGINE_ERRORS.INTERNAL, 'no conversation');
    return summary;
  }

  info(conv: ConversationId): Requests['groupInfo']['result'] {
    const me = this.#h.requireAccount();
    const groupId = this.groupId(conv);
    const g = this.#h.client.groups().find((x) => x.groupId === groupId);
    if (g === undefined) throw new EngineError('UNKNOWN_GROUP', 'no such group');
    return {
      conv,
      name: g.name,
      status: g.status,
      members: g.members
        .map((m) => ({
          username: m.username,
          devices: m.devices.length,
          you: m.username === me.username,
        }))
        .sort((a, b) => a.username.localeCompare(b.username)),
      ...(g.blocked !== undefined && { blocked: g.blocked.code }),
    };
  }
}
