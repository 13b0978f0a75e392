/**
 * Conversation features end to end with real processes (a relay on SQLite, `parley` processes
 * for alice with two devices, bob and carol): group replies, reactions, edits and deletes seen the
 * same on every device; typing indicators only where they are on; a group disappearing timer
 * after which the messages, their saved files and their records are gone from every device's
 * store (the SQLite files searched, and the store opened with its key); a backup restored into
 * a fresh home that keeps talking without a key change, and refused with a wrong key or damage.
 */
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { utf8Decode } from '@parley/bytes';
import { openSqliteBackend } from '@parley/client/node';
import { createNodePrimitives } from '@parley/primitives-node';
import { cli, cliSuite, jsonLines, ok0 } from './processes.js';

const suite = cliSuite('conversation-e2e');
const { home, as } = suite;
const events = async (name: string): Promise<Record<string, unknown>[]> =>
  jsonLines(await ok0(as(name, '--json', 'receive')));

/** Every file of a home's store (database, WAL, journal) as bytes. */
function storeFiles(name: string): Buffer {
  return Buffer.concat(
    readdirSync(home(name))
      .filter((f) => f.startsWith('store.db'))
      .map((f) => readFileSync(join(home(name), f))),
  );
}

/** The decrypted message records of a home's store (opened with its key file). */
function storedTexts(name: string): string[] {
  const store = openSqliteBackend({
    path: join(home(name), 'store.db'),
    primitives: createNodePrimitives(),
    secret: { keyFile: join(home(name), 'store.key') },
  });
  try {
    return ['message', 'group-message'].flatMap((ns) =>
      store.list(ns).map(([, v]) => utf8Decode(v)),
    );
  } finally {
    store.close();
  }
}

test(
  'group replies, reactions, edits, deletes, typing and a disappearing timer through the CLI, on every device',
  { timeout: 600_000 },
  async () => {
    for (const n of ['alice', 'bob', 'carol']) await ok0(as(n, 'register', n));
    strictEqual((await suite.link('alice', 'alice-laptop')).code, 0);
    await ok0(as('bob', 'group', 'create', 'Club', 'alice', 'carol'));
    for (const n of ['alice', 'alice-laptop', 'carol']) await ok0(as(n, 'receive'));

    const [sent] = jsonLines(await ok0(as('alice', '--json', 'send', '--group', 'club', 'at 5')));
    const id = sent?.['messageId'] as string;
    ok(typeof id === 'string');
    for (const n of ['bob', 'carol', 'alice-laptop']) await ok0(as(n, 'receive'));
    await ok0(as('bob', 'send', '--group', 'club', '--reply-to', id, 'ok'));
    await ok0(as('carol', 'react', '--group', 'club', id, '👍'));
    await ok0(as('alice', 'edit', '--group', 'club', id, 'at 6'));
    const refused = await as('bob', 'edit', '--group', 'club', id, 'hijack');
    strictEqual(refused.code, 1, 'only the author edits');
    await ok0(as('alice-laptop', 'receive'));
    await ok0(as('alice-laptop', 'delete', '--group', 'club', id));
    for (const n of ['bob', 'carol', 'alice']) {
      const got = await events(n);
      const updates = got.filter((e) => e['type'] === 'group-message-updated');
      deepStrictEqual(
        updates.map((e) => e['action']).filter((a) => a !== 'reaction'),
        n === 'alice' ? ['delete'] : ['edit', 'delete'],
        `${n} saw the changes`,
      );
      const last = updates.at(-1)?.['message'] as Record<string, unknown>;
      deepStrictEqual([last['deleted'], last['text']], [true, '']);
      if (n !== 'bob') {
        const reply = got.find((e) => e['type'] === 'group-message')?.['message'] as
          Record<string, unknown> | undefined;
        strictEqual(reply?.['replyTo'], id, `${n} has bob's reply quoting the message`);
      }
    }

    // Typing: off by default (nothing sent), then shown only where it is on.
    const off = jsonLines(await ok0(as('alice', '--json', 'typing', '--group', 'club')));
    deepStrictEqual(off, [{ sent: false }]);
    await ok0(as('alice', 'settings', 'typing', 'on'));
    await ok0(as('carol', 'settings', 'typing', 'on'));
    await ok0(as('alice', 'typing', '--group', 'club'));
    const carolTyping = (await events('carol')).filter((e) => e['type'] === 'typing');
    deepStrictEqual(
      carolTyping.map((e) => [e['from'], e['started']]),
      [['alice', true]],
    );
    deepStrictEqual(
      (await events('bob')).filter((e) => e['type'] === 'typing'),
      [],
      'bob has typing indicators off',
    );
    await ok0(as('alice-laptop', 'receive'));

    // A disappearing timer set by bob reaches every device; a message and its file go after it.
    // Long enough for every device to receive it first on a loaded machine.
    await ok0(as('bob', 'timer', '--group', 'club', '1m'));
    for (const n of ['alice', 'alice-laptop', 'carol']) {
      const timers = (await events(n)).filter((e) => e['type'] === 'timer-changed');
      deepStrictEqual(
        timers.map((e) => [e['by'], e['seconds']]),
        [['bob', 60]],
      );
    }
    const text = `vanishing-${Date.now()}`;
    const file = join(suite.root, 'note.txt');
    writeFileSync(file, `attached ${text}`);
    const before = Date.now();
    await ok0(as('alice', 'send', '--group', 'club', '--file', file, text));
    const devices = ['alice', 'alice-laptop', 'bob', 'carol'];
    const saved = await Promise.all(
      ['alice-laptop', 'bob', 'carol'].map(async (n) =>
        (await events(n)).flatMap(
          (e) => (e['attachments'] as { path: string }[] | undefined) ?? [],
        ),
      ),
    );
    for (const files of saved) strictEqual(files.length, 1);
    ok(Date.now() < before + 60_000, 'received before the timer ran out');
    for (const n of devices) {
      ok(
        storedTexts(n).some((t) => t.includes(text)),
        `${n} holds the message before it expires`,
      );
      strictEqual(storeFiles(n).includes(text), false, 'never in plain in the store files');
    }
    // The timer runs from the message's own send time, which a loaded machine puts seconds
    // after `before` (the CLI process's start): wait for the latest expiry any store records.
    const expiries = devices.flatMap((n) =>
      storedTexts(n)
        .filter((t) => t.includes(text))
        .map((t) => (JSON.parse(t) as { expiresAt?: number }).expiresAt),
    );
    ok(
      expiries.length === devices.length && expiries.every((e) => typeof e === 'number'),
      'every device recorded an expiry',
    );
    await sleep(Math.max(0, Math.max(...expiries) + 1_000 - Date.now()));
    for (const n of devices) await ok0(as(n, 'receive'));
    for (const n of devices) {
      deepStrictEqual(
        storedTexts(n).filter((t) => t.includes(text)),
        [],
        `${n}'s store no longer holds it`,
      );
      strictEqual(storeFiles(n).includes(text), false);
    }
    for (const files of saved) ok(!existsSync(files[0]?.path ?? ''), 'the saved file is gone');
  },
);

test(
  'a backup restored into a fresh home keeps talking without a key change; a wrong key or a damaged file changes nothing',
  {
    timeout: 300_000,
  },
  async () => {
    // Runs after the test above: carol is registered and talks to bob.
    await ok0(as('carol', 'send', 'bob', 'before the backup'));
    await ok0(as('bob', 'receive'));
    const archive = join(suite.root, 'carol.backup');
    const [made] = jsonLines(await ok0(as('carol', '--json', 'backup', 'create', archive)));
    const key = made?.['recoveryKey'] as string;
    strictEqual(key.replace(/ /g, '').length, 64);
    ok(!readFileSync(archive).includes('before the backup'));

    const damaged = join(suite.root, 'damaged.backup');
    const bytes = readFileSync(archive);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 1;
    writeFileSync(damaged, bytes);
    const wrong = await as('carol2', 'backup', 'restore', damaged, '--recovery-key', key);
    strictEqual(wrong.code, 1);
    ok(wrong.stderr.includes('damaged'), wrong.stderr);
    const typo = await as(
      'carol2',
      'backup',
      'restore',
      archive,
      '--recovery-key',
      `${key.startsWith('X') ? 'Y' : 'X'}${key.slice(1)}`, // one character changed
    );
    strictEqual(typo.code, 1);
    strictEqual((await as('carol2', 'whoami')).code, 1, 'nothing was restored');

    const restored = jsonLines(
      await ok0(
        cli(
          [
            '--server',
            suite.relay.base,
            '--home',
            home('carol2'),
            '--json',
            'backup',
            'restore',
            archive,
          ],
          {
            PARLEY_RECOVERY_KEY: key,
          },
        ),
      ),
    );
    strictEqual(restored[0]?.['username'], 'carol');
    ok((await ok0(as('carol2', 'chat', 'bob'))).includes('before the backup'), 'history restored');
    await ok0(as('carol2', 'send', 'bob', 'after the restore'));
    const atBob = await events('bob');
    deepStrictEqual(
      atBob
        .filter((e) => e['type'] === 'message')
        .map((e) => (e['message'] as { text: string }).text),
      ['after the restore'],
    );
    ok(!atBob.some((e) => e['type'] === 'key-changed' || e['type'] === 'dropped'));
    await ok0(as('bob', 'send', 'carol', 'welcome back'));
    const atCarol = await events('carol2');
    deepStrictEqual(
      atCarol
        .filter((e) => e['type'] === 'message')
        .map((e) => (e['message'] as { text: string }).text),
      ['welcome back'],
    );
  },
);
