/** The commands: each prints human lines, or one JSON object per line with `--json`. */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { toHex } from '@parley/bytes';
import {
  ClientError,
  formatSafetyNumber,
  type ClientEvent,
  type KtMonitorReport,
  type LinkHistoryOutcome,
  type MessageRecord,
  type ParleyClient,
} from '@parley/client';
import { USAGE, UsageError, type Args } from './args.js';
import type { OpenHome } from './home.js';
import { describeGroupEvent, runGroupCommand } from './group-commands.js';
import {
  describeTimer,
  removeDeletedFiles,
  runConversationCommand,
  sweep,
} from './conversation-commands.js';
import { openLive } from './live.js';
import { readSenderNames, runProfileCommand, senderNameOf } from './profile-commands.js';
import { runBackupCommand } from './backup-commands.js';
import { qrText } from './qr.js';
import { join } from 'node:path';
import {
  pointersOf,
  saveEventAttachments,
  uploadFile,
  type SavedAttachments,
} from './attachment-files.js';

/** Where a command writes; tests and `main` pass process streams. */
export interface Output {
  line(text: string): void;
  error(text: string): void;
}

const POLL_MS = 1000;
/** How often `chat` deletes expired disappearing messages while it runs. */
const SWEEP_MS = 5000;

function need(words: readonly string[], index: number, what: string): string {
  const w = words[index];
  if (w === undefined || w === '') throw new UsageError(`missing ${what}`);
  return w;
}

function historyText(h: LinkHistoryOutcome): string {
  switch (h.status) {
    case 'none':
      return 'no history offered';
    case 'declined':
      return 'history declined';
    case 'imported':
      return `${h.messages} earlier messages imported`;
    case 'failed':
      return `the offered history was refused (${h.code}); nothing imported`;
    case 'not sent':
      return `the primary could not send its history (${h.code}); linked without it`;
  }
}

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function files(e: ClientEvent): string {
  const list = pointersOf(e);
  return list.length === 0
    ? ''
    : ` [${list.map((p) => `file: ${p.name} (${p.size} bytes)`).join(', ')}]`;
}

function describe(e: ClientEvent): string {
  return describeEvent(e) + files(e);
}

function describeEvent(e: ClientEvent): string {
  switch (e.type) {
    case 'message':
      return `[${time(e.message.sentAt)}] ${e.from}: ${e.message.text}`;
    case 'sent-sync':
      return `[${time(e.message.sentAt)}] you (another device) → ${e.to}: ${e.message.text}`;
    case 'receipt':
      return `${e.from} ${e.receipt === 'read' ? 'read' : 'received'} ${e.ids.join(', ')}`;
    case 'dropped':
      return `dropped a message: ${e.reason}`;
    case 'deferred':
      return `kept a message to read later: ${e.reason}`;
    case 'key-changed':
      return `${e.username}'s key CHANGED. Compare safety numbers: parley verify ${e.username}`;
    case 'account-key-changed':
      return 'your account key was replaced by your primary device';
    case 'typing':
      return `${e.from} ${e.started ? 'is typing' : 'stopped typing'}${e.group === undefined ? '' : ` in ${e.group}`}`;
    case 'timer-changed':
      return `${e.by} set disappearing messages to ${describeTimer(e.seconds)}${e.group === undefined ? ` with ${e.peer ?? ''}` : ` in ${e.group}`}`;
    case 'message-updated':
    case 'group-message-updated':
      return (
        (e.type === 'group-message-updated' ? `[${e.group}] ` : '') +
        (e.action === 'delete'
          ? `${e.by} deleted message ${e.message.id} for everyone`
          : e.action === 'edit'
            ? `${e.by} edited message ${e.message.id}: ${e.message.text}`
            : `reactions on message ${e.message.id} (${e.message.text}) now: ${Object.values(e.message.reactions ?? {}).join(' ') || 'none'}`)
      );
    default:
      return describeGroupEvent(e);
  }
}

function queuedLine(messageId: string, code: string): string {
  return `queued ${messageId}: the relay did not take it (${code}); the next send --group, receive or chat delivers it`;
}

/**
 * An event as `--json` prints it. A message's attachments are the saved files
 * (`name, size, sha256, path, contentType`), never the pointers: those hold the keys.
 */
function eventJson(e: ClientEvent, saved?: SavedAttachments): object {
  if (pointersOf(e).length === 0 || !('message' in e)) return e;
  const message: Record<string, unknown> = { ...e.message };
  delete message['attachments'];
  return { ...e, message, attachments: saved?.saved ?? [] };
}

/** Saves an event's attachments and prints the event, then an error event per failed file. */
async function emitEvent(
  client: ParleyClient,
  e: ClientEvent,
  saveDir: string,
  emit: (human: string, json: object) => void,
): Promise<void> {
  const senderName = senderNameOf(client, e);
  const named = (o: object): object => (senderName === undefined ? o : { ...o, senderName });
  const line =
    senderName === undefined || e.type !== 'message'
      ? describe(e)
      : describe({ ...e, from: `${e.from} (${senderName})` });
  if (pointersOf(e).length === 0) {
    await removeDeletedFiles(e);
    emit(line, named(eventJson(e)));
    return;
  }
  const saved = await saveEventAttachments(client, e, saveDir);
  const where = saved.saved.map((f) => `\n  saved ${f.path}`).join('');
  emit(line + where, named(eventJson(e, saved)));
  const messageId = 'message' in e ? e.message.id : '';
  for (const f of saved.failed)
    emit(`could not save ${f.name} from message ${messageId}: ${f.code} (${f.message})`, {
      type: 'attachment-error',
      messageId,
      name: f.name,
      code: f.code,
    });
}

function historyLine(m: MessageRecord, peer: string): string {
  const who = m.direction === 'in' ? peer : 'you';
  return shownLine(m, who, m.direction === 'out' ? ` (${m.status})` : '');
}

/** A stored message (1:1 or group) as a history line. */
function shownLine(
  m: Pick<
    MessageRecord,
    'sentAt' | 'text' | 'deleted' | 'edits' | 'reactions' | 'replyTo' | 'expiresAt'
  >,
  who: string,
  status: string,
): string {
  if (m.deleted === true) return `[${time(m.sentAt)}] ${who}: (deleted)`;
  const edited = m.edits === undefined ? '' : ' (edited)';
  const reactions = Object.values(m.reactions ?? {}).join(' ');
  const reply = m.replyTo === undefined ? '' : `(reply to ${m.replyTo}) `;
  const expires = m.expiresAt === undefined ? '' : ` (disappears ${time(m.expiresAt)})`;
  return `[${time(m.sentAt)}] ${who}: ${reply}${m.text}${edited}${status}${expires}${reactions === '' ? '' : ` ${reactions}`}`;
}

async function markRead(client: ParleyClient, events: readonly ClientEvent[]): Promise<void> {
  const senders = new Set(events.flatMap((e) => (e.type === 'message' ? [e.from] : [])));
  for (const s of senders) await client.markRead(s);
}

async function receiveAndMarkRead(client: ParleyClient): Promise<ClientEvent[]> {
  const events = await client.receive();
  await markRead(client, events);
  return events;
}

/**
 * `receive --wait`: nothing was pending, so wait on the live connection until something arrives
 * or the deadline passes, then fetch whatever else came with it. Polls if the socket fails.
 */
async function waitForEvents(
  client: ParleyClient,
  server: string,
  deadline: number,
  out: Output,
): Promise<ClientEvent[]> {
  const got: ClientEvent[] = [];
  let wake: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => (wake = resolve));
  const live = await openLive(
    client,
    server,
    (e) => {
      got.push(e);
      wake();
    },
    (e) => {
      out.error(e instanceof Error ? e.message : 'receive failed');
    },
  );
  if (live === undefined) {
    let events: ClientEvent[] = [];
    while (events.length === 0 && Date.now() < deadline) {
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
      events = await receiveAndMarkRead(client);
    }
    return events;
  }
  const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
  await arrived;
  clearTimeout(timer);
  await live.stop();
  await markRead(client, got);
  return got.length === 0 ? got : [...got, ...(await receiveAndMarkRead(client))];
}

export async function runCommand(args: Args, home: OpenHome, out: Output): Promise<number> {
  const { client } = home;
  const [command, ...rest] = args.words;
  const emit = (human: string, json: object): void => {
    out.line(args.json ? JSON.stringify(json) : human);
  };
  const saveDir = args.saveDir ?? join(args.home, 'attachments');
  const upload = async () => {
    if (args.files.length > 4) throw new UsageError('at most 4 --file per message');
    const list = [];
    for (const f of args.files) list.push(await uploadFile(client, f));
    return list.length === 0 ? {} : { attachments: list };
  };
  // Expired disappearing messages go before anything is shown or sent.
  await sweep(client);
  const conversation = await runConversationCommand(client, args, command ?? '', rest, emit);
  if (conversation !== undefined) return conversation;
  switch (command) {
    case 'register': {
      const a = await client.register(need(rest, 0, 'USERNAME'));
      home.saveServer();
      emit(`registered ${a.username} (account ${a.accountId}, device ${a.deviceId})`, {
        username: a.username,
        accountId: a.accountId,
        deviceId: a.deviceId,
      });
      return 0;
    }
    case 'whoami': {
      const a = client.account;
      if (a === undefined) throw new ClientError('MISUSE', 'not registered: run register first');
      emit(
        `${a.username} (account ${a.accountId}, device ${a.deviceId}${a.accountPrivateKey === undefined ? '' : ', primary'}) at ${home.server}`,
        {
          username: a.username,
          accountId: a.accountId,
          deviceId: a.deviceId,
          primary: a.accountPrivateKey !== undefined,
          server: home.server,
        },
      );
      return 0;
    }
    case 'link': {
      if (rest[0] === 'approve') {
        const deviceId = await client.approveLink(need(rest, 1, 'CODE'), {
          history: !args.noHistory,
        });
        emit(`linked device ${deviceId}`, { deviceId });
        return 0;
      }
      const pending = await client.startLink();
      // The QR code carries the code itself (UTF-8 text); `--json` gives the code, not the drawing.
      emit(
        `On your primary device run:\n  parley link approve ${pending.code}\nor scan:\n${qrText(pending.code)}\nWaiting for approval…`,
        { code: pending.code },
      );
      const a = await pending.complete({ history: !args.noHistory });
      home.saveServer();
      const history = pending.history() ?? { status: 'none' };
      emit(`linked as device ${a.deviceId} of ${a.username}; ${historyText(history)}`, {
        username: a.username,
        accountId: a.accountId,
        deviceId: a.deviceId,
        history,
      });
      return 0;
    }
    case 'send': {
      if (args.group !== undefined) {
        const text = rest.join(' ');
        if (text === '' && args.files.length === 0) throw new UsageError('missing TEXT');
        const r = await client.sendToGroup(args.group, text, {
          ...(await upload()),
          ...(args.replyTo === undefined ? {} : { replyTo: args.replyTo }),
        });
        for (const e of r.events) emit(describe(e), eventJson(e));
        if (r.status === 'queued') {
          // Kept in the outbox; like a 1:1 send the relay did not take, this exits 1.
          emit(queuedLine(r.messageId, r.code), {
            messageId: r.messageId,
            queued: true,
            code: r.code,
          });
          return 1;
        }
        emit(r.messageId, {
          messageId: r.messageId,
          serverTimestamp: r.serverTimestamp,
          recipients: r.recipients,
          sealed: r.sealed,
        });
        return 0;
      }
      const to = need(rest, 0, 'USERNAME');
      const text = rest.slice(1).join(' ');
      if (text === '' && args.files.length === 0) throw new UsageError('missing TEXT');
      const r = await client.send(to, text, {
        ...(await upload()),
        ...(args.replyTo === undefined ? {} : { replyTo: args.replyTo }),
      });
      emit(r.messageId, r);
      return 0;
    }
    case 'receive': {
      const deadline = Date.now() + (args.wait ?? 0) * 1000;
      let events = await receiveAndMarkRead(client);
      if (events.length === 0 && Date.now() < deadline)
        events = await waitForEvents(client, home.server, deadline, out);
      await readSenderNames(client, events);
      for (const e of events) await emitEvent(client, e, saveDir, emit);
      if (events.length === 0 && !args.json) out.line('no new messages');
      return 0;
    }
    case 'chat':
      if (args.group !== undefined)
        return chat(client, home.server, groupConversation(client, args.group), out, saveDir);
      return chat(
        client,
        home.server,
        peerConversation(client, need(rest, 0, 'USERNAME')),
        out,
        saveDir,
      );
    case 'group':
      return runGroupCommand(client, rest, emit);
    case 'profile':
      return runProfileCommand(client, args, rest, emit);
    case 'backup':
      return runBackupCommand(args, home, emit);
    case 'devices': {
      if (rest[0] === 'remove') {
        const id = Number(need(rest, 1, 'ID'));
        if (!Number.isInteger(id) || id < 1) throw new UsageError('ID must be a device number');
        await client.removeDevice(id);
        emit(`removed device ${id}`, { removed: id });
        return 0;
      }
      if (rest[0] !== undefined) throw new UsageError(`unknown devices command ${rest[0]}`);
      const me = client.account;
      for (const d of await client.devices()) {
        emit(
          `device ${d.deviceId}${d.deviceId === me?.deviceId ? ' (this device)' : ''} linked ${new Date(d.createdAt).toISOString()}${d.signed ? '' : ' NOT IN THE SIGNED DEVICE LIST'}`,
          d,
        );
      }
      return 0;
    }
    case 'verify': {
      const user = need(rest, 0, 'USERNAME');
      if (args.accept) {
        client.acceptKey(user);
        emit(`accepted the new key of ${user}`, { accepted: user });
        return 0;
      }
      // Looking the user up verifies the account and its key against the log (if the relay
      // has one); a failure stops here with its KT_* error.
      const n = await client.safetyNumber(user);
      const transparency = client.contactTransparency(user);
      // The QR code carries the scannable fingerprint's raw bytes (libsignal's CombinedFingerprints
      // protobuf, which its `ScannableFingerprint.getSerialized` documents as "a byte string to be
      // displayed in a QR code") in byte mode, not hex; `--json` gives the same bytes as hex.
      emit(
        `${n.keyChanged ? `${user}'s key CHANGED. Compare this new number, then run: parley verify ${user} --accept\n` : ''}safety number with ${user}:\n  ${formatSafetyNumber(n.digits)}\n${qrText(n.scannable)}\nscannable (hex): ${toHex(n.scannable)}\nkey transparency: ${transparency}`,
        {
          username: user,
          safetyNumber: n.digits,
          scannable: toHex(n.scannable),
          keyChanged: n.keyChanged,
          transparency,
        },
      );
      return 0;
    }
    case 'account-key': {
      if (rest[0] !== 'rotate') throw new UsageError('usage: parley account-key rotate');
      await client.changeAccountKey();
      emit('replaced the account key; contacts will see a key change to verify', { rotated: true });
      return 0;
    }
    case 'kt': {
      const sub = rest[0];
      if (sub !== 'status' && sub !== 'monitor')
        throw new UsageError('usage: parley kt status|monitor');
      let report: KtMonitorReport | undefined;
      if (sub === 'monitor') report = await client.monitorKeyTransparency();
      const s = client.keyTransparencyStatus();
      const lines = s.enabled
        ? [
            `key transparency: on (${s.mode ?? ''}), log size ${s.treeSize ?? 'not yet seen'}`,
            `monitored labels: ${s.monitored}`,
            s.lastRun === undefined
              ? 'last monitoring run: never (run: parley kt monitor)'
              : `last monitoring run: ${new Date(s.lastRun.at).toISOString()}, ${s.lastRun.checked} checked, ${s.lastRun.failed.length} failed${s.lastRun.failed.map((f) => `\n  FAILED ${f}`).join('')}`,
            ...s.overdue.map((l) => `CANNOT VERIFY (monitoring overdue): ${l}`),
            ...(s.fork === undefined
              ? []
              : [
                  `LOG FORKED: ${s.fork.consistency === undefined ? `two signed heads of size ${s.fork.treeSize} with different roots` : `the log's own consistency proof puts another root at size ${s.fork.treeSize} than its signed head there`} (seen ${new Date(s.fork.at).toISOString()}${s.fork.from === undefined ? '' : ` in a message from account ${s.fork.from}`}); nothing is sent`,
                  `  ours:   ${s.fork.ours}`,
                  `  theirs: ${s.fork.theirs}`,
                ]),
            ...(report === undefined ? [] : ['own labels: verified against the log']),
          ]
        : ['key transparency: off (the relay has shown no log; keys are trusted on first use)'];
      emit(lines.join('\n'), { ...s, ...(report === undefined ? {} : { report }) });
      return s.overdue.length > 0 || s.fork !== undefined || (report?.failed.length ?? 0) > 0
        ? 4
        : 0;
    }
    case 'delete-account':
      await client.deleteAccount();
      emit('account deleted', { deleted: true });
      return 0;
    case undefined:
    case 'help':
      out.line(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

/** What `chat` talks to: a user, or a group. */
interface Conversation {
  readonly title: string;
  history(): string[];
  /** Sends a line; returns what to show about it. */
  send(text: string): Promise<string[]>;
}

function peerConversation(client: ParleyClient, peer: string): Conversation {
  return {
    title: peer,
    history: () => client.history(peer).map((m) => historyLine(m, peer)),
    send: async (text) => {
      await client.send(peer, text);
      return [];
    },
  };
}

function groupConversation(client: ParleyClient, group: string): Conversation {
  const name =
    client.groups().find((g) => g.groupId === group || g.name.toLowerCase() === group.toLowerCase())
      ?.name ?? group;
  return {
    title: `the group ${name}`,
    history: () =>
      client.groupHistory(group).map((m) => {
        const who =
          m.direction === 'out'
            ? 'you'
            : (client
                .groups()
                .find((g) => g.groupId === m.groupId)
                ?.members.find((x) => x.accountId === m.fromAccount)?.username ?? m.fromAccount);
        const status =
          m.status === 'pending' ? ' (queued)' : m.status === 'failed' ? ' (not sent)' : '';
        return shownLine(m, who, status);
      }),
    send: async (text) => {
      const r = await client.sendToGroup(group, text);
      const lines = r.events.map(describe);
      if (r.status === 'queued') lines.push(queuedLine(r.messageId, r.code));
      return lines;
    },
  };
}

async function chat(
  client: ParleyClient,
  server: string,
  conversation: Conversation,
  out: Output,
  saveDir: string,
): Promise<number> {
  await receiveAndMarkRead(client);
  for (const line of conversation.history()) out.line(line);
  const report = (e: unknown, what: string): void => {
    out.error(e instanceof Error ? e.message : what);
  };
  // Live delivery: each event is printed as the relay pushes it; a message is marked read at
  // once (in order, and finished before the store closes).
  let reads: Promise<void> = Promise.resolve();
  const live = await openLive(
    client,
    server,
    (e) => {
      if (pointersOf(e).length > 0) {
        // Saved in arrival order; the line is printed once its files are saved (or failed).
        reads = reads
          .then(() =>
            emitEvent(client, e, saveDir, (human) => {
              out.line(human);
            }),
          )
          .then(
            () => undefined,
            (x: unknown) => {
              report(x, 'saving an attachment failed');
            },
          );
      } else out.line(describe(e));
      if (e.type !== 'message') return;
      // Each link ends in a handler that catches, so the chain never rejects.
      reads = reads
        .then(() => client.markRead(e.from))
        .then(
          () => undefined,
          (x: unknown) => {
            report(x, 'read receipt failed');
          },
        );
    },
    (e) => {
      report(e, 'receive failed');
    },
    true,
  );
  out.line(
    `chatting with ${conversation.title} (${live === undefined ? 'polling: live connection unavailable' : 'live'}); type a line to send it, Ctrl-D to leave`,
  );
  const sweeper = setInterval(() => {
    sweep(client).catch((x: unknown) => {
      report(x, 'deleting expired messages failed');
    });
  }, SWEEP_MS);
  const rl = createInterface({ input: process.stdin, terminal: false });
  const state = { open: true };
  rl.on('close', () => {
    state.open = false;
  });
  const poll = (async () => {
    while (live === undefined && state.open) {
      try {
        for (const e of await receiveAndMarkRead(client))
          await emitEvent(client, e, saveDir, (human) => {
            out.line(human);
          });
      } catch (e) {
        report(e, 'receive failed');
      }
      await sleep(POLL_MS);
    }
  })();
  for await (const line of rl) {
    if (line.trim() === '') continue;
    try {
      for (const shown of await conversation.send(line)) out.line(shown);
    } catch (e) {
      report(e, 'send failed');
    }
  }
  state.open = false;
  clearInterval(sweeper);
  await poll;
  await live?.stop();
  await reads;
  return 0;
}
