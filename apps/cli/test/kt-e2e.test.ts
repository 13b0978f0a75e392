/**
 * Key transparency end to end with real processes: the relay (apps/server) with its log as a
 * child process, and `parley` processes. `verify` shows the transparency status beside the
 * safety number; `kt status` and `kt monitor` show the log, the head and the monitoring run.
 */
import { match, strictEqual } from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cli, ok0, startRelay, type Relay, type Run } from './processes.js';

let relay: Relay;
let root: string;
before(async () => {
  relay = await startRelay();
  root = mkdtempSync(join(tmpdir(), 'parley-kt-e2e-'));
});
after(async () => {
  await relay.stop();
});

const as = (home: string, ...args: string[]): Promise<Run> =>
  cli(['--server', relay.base, '--home', join(root, home), ...args]);

test("parley verify and kt status: keys checked against the relay's log", async () => {
  await ok0(as('alice', 'register', 'ktalice'));
  await ok0(as('bob', 'register', 'ktbob'));
  const verify = await ok0(as('alice', 'verify', 'ktbob'));
  match(verify, /safety number with ktbob/);
  match(verify, /key transparency: verified/);
  await ok0(as('alice', 'send', 'ktbob', 'checked against the log'));
  const received = await ok0(as('bob', 'receive', '--wait', '10'));
  match(received, /checked against the log/);
  const status = await ok0(as('alice', 'kt', 'status'));
  match(status, /key transparency: on \(contact monitoring\), log size \d+/);
  const monitor = await ok0(as('bob', 'kt', 'monitor'));
  match(monitor, /own labels: verified against the log/);
  match(monitor, /last monitoring run: .*0 failed/);
  // Someone not registered: the relay says so (no KT involved); exit 1 with the reason.
  const unknown = await as('alice', 'verify', 'nobody_here');
  strictEqual(unknown.code, 1);
});
