/**
 * `parley react|edit|delete|typing|timer|settings`: actions on messages (1:1, or a group with
 * `--group`), typing indicators, the disappearing-message timer and this device's settings; and
 * the sweep that deletes expired messages with the files saved for them.
 */
import { rm } from 'node:fs/promises';
import type { ClientEvent, ConversationTarget, MessageAction, ParleyClient } from '@parley/client';
import { UsageError, type Args } from './args.js';

function need(words: readonly string[], index: number, what: string): string {
  const w = words[index];
  if (w === undefined || w === '') throw new UsageError(`missing ${what}`);
  return w;
}

/** `--group GROUP` or a USERNAME first word; the words after it. */
function targetOf(args: Args, words: readonly string[]): [ConversationTarget, readonly string[]] {
  if (args.group !== undefined) return [{ group: args.group }, words];
  return [{ username: need(words, 0, 'USERNAME') }, words.slice(1)];
}

/** A human timer: `off`, `30s`, `5m`, `2h`, `1d`, `1w`, or a number of seconds. */
export function parseTimer(text: string): number {
  if (text === 'off') return 0;
  const m = /^(\d{1,9})([smhdw]?)$/.exec(text);
  if (m === null) throw new UsageError('a timer is off, or a number with s, m, h, d or w');
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

export function describeTimer(seconds: number): string {
  if (seconds === 0) return 'off';
  for (const [unit, n] of [
    ['w', 604_800],
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const)
    if (seconds % n === 0) return `${seconds / n}${unit}`;
  return `${seconds}s`;
}

/** Runs one of these commands; undefined if `command` is not one of them. */
export async function runConversationCommand(
  client: ParleyClient,
  args: Args,
  command: string,
  rest: readonly string[],
  emit: (human: string, json: object) => void,
): Promise<number | undefined> {
  const act = async (words: readonly string[], action: (w: readonly string[]) => MessageAction) => {
    const [target, after] = targetOf(args, words);
    const id = need(after, 0, 'ID');
    const a = action(after.slice(1));
    if ('group' in target) {
      const r = await client.actInGroup(target.group, id, a);
      emit(r.messageId, r);
      // Kept in the group outbox, like a queued group message: exit 1.
      return r.status === 'queued' ? 1 : 0;
    }
    const r =
      a.kind === 'reaction'
        ? await client.react(target.username, id, a.emoji, a.remove)
        : a.kind === 'edit'
          ? await client.edit(target.username, id, a.text)
          : await client.deleteForEveryone(target.username, id);
    emit(r.messageId, r);
    return 0;
  };
  switch (command) {
    case 'react':
      return act(rest, (w) => ({
        kind: 'reaction',
        emoji: need(w, 0, 'EMOJI'),
        remove: args.remove,
      }));
    case 'edit':
      return act(rest, (w) => {
        const text = w.join(' ');
        if (text === '') throw new UsageError('missing TEXT');
        return { kind: 'edit', text };
      });
    case 'delete':
      return act(rest, () => ({ kind: 'delete' }));
    case 'typing': {
      const [target] = targetOf(args, rest);
      const sent = await client.sendTyping(target, !args.stop);
      emit(sent ? 'sent' : 'typing indicators are off: parley settings typing on', { sent });
      return 0;
    }
    case 'timer': {
      const [target, after] = targetOf(args, rest);
      if (after[0] === undefined) {
        const seconds = client.disappearingTimer(target);
        emit(`disappearing messages: ${describeTimer(seconds)}`, { seconds });
        return 0;
      }
      const seconds = parseTimer(after[0]);
      await client.setDisappearingTimer(target, seconds);
      emit(`disappearing messages: ${describeTimer(seconds)} (for everyone in the conversation)`, {
        seconds,
      });
      return 0;
    }
    case 'settings': {
      if (rest[0] === 'typing') {
        const v = need(rest, 1, 'on|off');
        if (v !== 'on' && v !== 'off') throw new UsageError('usage: parley settings typing on|off');
        client.setTypingIndicators(v === 'on');
      } else if (rest[0] !== undefined) throw new UsageError(`unknown setting ${rest[0]}`);
      const s = client.settings();
      emit(`typing indicators: ${s.typingIndicators ? 'on' : 'off'}`, s);
      return 0;
    }
    default:
      return undefined;
  }
}

/** Deletes expired messages and the files saved for them; how many messages went. */
export async function sweep(client: ParleyClient): Promise<number> {
  if (client.account === undefined) return 0;
  const swept = client.sweepExpired();
  for (const f of swept.files) await rm(f, { force: true });
  return swept.messages;
}

/** After a delete for everyone, the files this device saved for the message go too. */
export async function removeDeletedFiles(e: ClientEvent): Promise<void> {
  if (e.type !== 'message-updated' && e.type !== 'group-message-updated') return;
  if (e.message.deleted !== true) return;
  for (const f of e.message.savedFiles ?? []) await rm(f, { force: true });
}
