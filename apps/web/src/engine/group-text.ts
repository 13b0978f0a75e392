/**
 * Timeline sentences for group events: every membership change with who made it, as the MLS
 * state authenticates it (`by` is the committer), and refusals in plain words.
 */
import type { GroupEvent } from '@parley/client';

type Change = Extract<GroupEvent, { type: 'group-change' }>;

function names(users: readonly string[], self: string): string {
  const shown = users.map((u) => (u === self ? 'you' : u));
  if (shown.length <= 1) return shown[0] ?? 'nobody';
  return `${shown.slice(0, -1).join(', ')} and ${shown.at(-1) ?? ''}`;
}

function subject(user: string, self: string): string {
  return user === self ? 'You' : user;
}

/** "alice added bob and carol", "bob left", "You created the group 'Book club'"… */
export function describeChange(e: Change, self: string): string {
  const by = subject(e.by, self);
  switch (e.change) {
    case 'created':
      return `${by} created the group “${e.group}”.`;
    case 'joined':
      return `${by} added ${names(e.users, self)} to the group.`;
    case 'rejoined':
      return `${by} added this device back to the group after a change it could not follow.`;
    case 'added':
      return `${by} added ${names(e.users, self)}.`;
    case 'removed':
      return `${by} removed ${names(e.users, self)}.`;
    case 'left':
      return `${names(e.users, self).replace(/^you$/, 'You')} left the group.`;
    case 'devices-added':
      return `${by} added a new device of ${names(e.users, self)}.`;
    case 'devices-removed':
      return `${by} removed a device of ${names(e.users, self)}.`;
  }
}

/** Why the engine refused a group change, for people. */
export function describeRefusal(code: string): string {
  return code === 'UNBACKED_MEMBER'
    ? 'A change to this group was refused: it would add a device that its owner’s signed device list does not contain (a ghost member). This group cannot follow further changes.'
    : `A change to this group could not be processed (${code}). This group cannot follow further changes.`;
}
