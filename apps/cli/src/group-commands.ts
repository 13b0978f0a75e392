/** `parley group …`: create, add, remove, leave, list; and how group events read. */
import type { GroupEvent, ParleyClient } from '@parley/client';
import { UsageError } from './args.js';

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** One line per group event; every membership change says who made it. */
export function describeGroupEvent(e: GroupEvent): string {
  switch (e.type) {
    case 'group-message':
      return `[${time(e.message.sentAt)}] [${e.group}] ${e.from}${e.message.direction === 'out' ? ` (your device ${e.fromDevice})` : ''}: ${e.message.text}`;
    case 'group-change': {
      const users = e.users.join(', ');
      const by = e.by;
      switch (e.change) {
        case 'created':
          return `[${e.group}] ${by} created the group`;
        case 'joined':
          return `[${e.group}] ${users} joined, added by ${by}`;
        case 'added':
          return `[${e.group}] ${by} added ${users}`;
        case 'removed':
          return `[${e.group}] ${by} removed ${users}`;
        case 'left':
          return `[${e.group}] ${users} left (committed by ${by})`;
        case 'devices-added':
          return `[${e.group}] ${by} added new devices of ${users}`;
        case 'devices-removed':
          return `[${e.group}] ${by} removed devices of ${users}`;
      }
      break;
    }
    case 'group-send-failed':
      return `[${e.group === '' ? 'group' : e.group}] your message ${e.messageId} was NOT sent (${e.code}): ${e.reason}`;
    case 'group-refused':
      return `[${e.group === '' ? 'group' : e.group}] REFUSED (${e.code}): ${e.reason}`;
  }
  return '';
}

function need(words: readonly string[], index: number, what: string): string {
  const w = words[index];
  if (w === undefined || w === '') throw new UsageError(`missing ${what}`);
  return w;
}

/** Runs `group SUBCOMMAND ...`; `emit` prints a human line or a JSON object. */
export async function runGroupCommand(
  client: ParleyClient,
  words: readonly string[],
  emit: (human: string, json: object) => void,
): Promise<number> {
  const [sub, ...rest] = words;
  const show = (events: readonly GroupEvent[]): void => {
    for (const e of events) emit(describeGroupEvent(e), e);
  };
  switch (sub) {
    case 'create': {
      const created = await client.createGroup(need(rest, 0, 'NAME'), rest.slice(1));
      show(created.events);
      emit(`group id ${created.groupId}`, { groupId: created.groupId });
      return 0;
    }
    case 'add': {
      const group = need(rest, 0, 'GROUP');
      need(rest, 1, 'USERNAME');
      show(await client.addToGroup(group, rest.slice(1)));
      return 0;
    }
    case 'remove': {
      const group = need(rest, 0, 'GROUP');
      need(rest, 1, 'USERNAME');
      show(await client.removeFromGroup(group, rest.slice(1)));
      return 0;
    }
    case 'leave': {
      const group = need(rest, 0, 'GROUP');
      show(await client.leaveGroup(group));
      emit(`asked to leave ${group}; a member will commit it`, { leaving: group });
      return 0;
    }
    case 'list': {
      for (const g of client.groups()) {
        const members = g.members
          .map(
            (m) =>
              `${m.username} (device${m.devices.length > 1 ? 's' : ''} ${m.devices.join(', ')})`,
          )
          .join(', ');
        const blocked =
          g.blocked === undefined ? '' : ` BLOCKED at epoch ${g.blocked.epoch} (${g.blocked.code})`;
        emit(
          `${g.name}  id ${g.groupId}  ${g.status}, epoch ${g.epoch}${blocked}\n  members: ${members || '-'}`,
          g,
        );
      }
      return 0;
    }
    default:
      throw new UsageError(
        sub === undefined ? 'missing group command' : `unknown group command ${sub}`,
      );
  }
}
