/**
 * Sealed sender end to end with real processes: a relay process (SQLite, so its data directory
 * can be searched) and `parley` processes for alice and bob. After one authenticated message
 * each way (which carries the profile keys), they converse sealed: `send --json` says so, the
 * relay's queued rows for the sealed sends name no sender, and `receive` shows the sender (with
 * its profile name) once opened. A profile is readable by the contact and not by the relay.
 */
import { deepStrictEqual, match, ok, strictEqual } from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { cli, jsonLines, ok0, startRelay, type Relay, type Run } from './processes.js';

let relay: Relay;
let root: string;
let dataDir: string;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'parley-sealed-e2e-'));
  dataDir = join(root, 'relay');
  relay = await startRelay(dataDir);
});
after(async () => {
  await relay.stop();
  rmSync(root, { recursive: true, force: true });
});

const as = (home: string, ...args: string[]): Promise<Run> =>
  cli(['--server', relay.base, '--home', join(root, home), ...args]);

/** The queued rows the relay holds for sealed envelopes, with their sender columns. */
function sealedRows(): { sender_account: string; sender_device: number }[] {
  const db = new Database(join(dataDir, 'parley.sqlite'), { readonly: true });
  try {
    return db
      .prepare<[], { sender_account: string; sender_device: number }>(
        'SELECT sender_account, sender_device FROM messages WHERE type = 6',
      )
      .all();
  } finally {
    db.close();
  }
}

test('alice and bob converse sealed through the CLI', { timeout: 180_000 }, async () => {
  const whoami = async (home: string): Promise<string> =>
    String(jsonLines(await ok0(as(home, '--json', 'whoami')))[0]?.['accountId']);
  await ok0(as('alice', 'register', 'salice'));
  await ok0(as('bob', 'register', 'sbob'));
  const aliceId = await whoami('alice');
  await ok0(as('alice', 'profile', 'set', '--name', 'Alice Liddell'));

  // First contact goes authenticated: alice holds no token for bob yet.
  const first = jsonLines(await ok0(as('alice', '--json', 'send', 'sbob', 'hello bob')));
  strictEqual(first[0]?.['sealed'], false);
  match(await ok0(as('bob', 'receive')), /salice \(Alice Liddell\): hello bob/);

  // bob got alice's profile key with it: his reply and receipt go sealed.
  const reply = jsonLines(await ok0(as('bob', '--json', 'send', 'salice', 'sealed reply')));
  strictEqual(reply[0]?.['sealed'], true);
  const rows = sealedRows();
  ok(rows.length >= 2, 'the receipt and the reply are queued sealed');
  ok(rows.every((r) => r.sender_account === '' && r.sender_device === 0));

  const got = jsonLines(await ok0(as('alice', '--json', 'receive')));
  const message = got.find((e) => e['type'] === 'message');
  strictEqual((message?.['message'] as { text?: string } | undefined)?.text, 'sealed reply');
  strictEqual(message?.['from'], 'sbob');

  // And alice → bob sealed, with her profile name shown beside her username.
  const sealed = jsonLines(await ok0(as('alice', '--json', 'send', 'sbob', 'sealed hello')));
  strictEqual(sealed[0]?.['sealed'], true);
  ok(sealedRows().every((r) => r.sender_account === '' && r.sender_device === 0));
  const bobGot = jsonLines(await ok0(as('bob', '--json', 'receive')));
  const hello = bobGot.find((e) => e['type'] === 'message');
  deepStrictEqual(
    [hello?.['from'], hello?.['senderName'], (hello?.['message'] as { text?: string }).text],
    ['salice', 'Alice Liddell', 'sealed hello'],
  );
  match(await ok0(as('bob', 'profile', 'show', 'salice')), /salice: Alice Liddell/);
  // bob's delivered and read receipts to alice are queued sealed too.
  const receipts = sealedRows();
  ok(receipts.length >= 1);
  ok(receipts.every((r) => r.sender_account === '' && r.sender_device === 0));

  // The relay's database holds alice's account (she is registered) but no name.
  const db = new Database(join(dataDir, 'parley.sqlite'), { readonly: true });
  try {
    const blob = db
      .prepare<[string], { profile: Buffer }>('SELECT profile FROM profiles WHERE account_id = ?')
      .get(aliceId);
    ok(blob !== undefined && !blob.profile.includes('Alice'));
  } finally {
    db.close();
  }
});
