/**
 * End to end with real processes: a relay process started here, and `parley` processes for
 * alice (two devices), bob and carol, each in its own temporary home.
 */
import { deepStrictEqual, match, ok, strictEqual } from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  cli,
  jsonLines,
  ok0,
  outputMatches,
  spawnCli,
  startRelay,
  type Relay,
  type Run,
} from './processes.js';

/** A message pushed to `chat` must be shown within this long of the sender's exit. */
const LIVE_WITHIN_MS = 2_000;

let relay: Relay;
let root: string;
before(async () => {
  relay = await startRelay();
  root = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
});
after(async () => {
  await relay.stop();
});

const as = (home: string, ...args: string[]): Promise<Run> =>
  cli(['--server', relay.base, '--home', join(root, home), ...args]);

test(
  'alice (two devices), bob and carol: the whole 1:1 story through the CLI',
  { timeout: 180_000 },
  async () => {
    match(await ok0(as('alice', 'register', 'alice')), /registered alice/);
    await ok0(as('bob', 'register', 'bob'));
    await ok0(as('carol', 'register', 'carol'));
    const taken = await as('other', 'register', 'alice');
    strictEqual(taken.code, 1);
    match(taken.stderr, /taken/);

    // Link alice's laptop: it prints a code, alice's primary approves it.
    const link = spawnCli([
      '--server',
      relay.base,
      '--home',
      join(root, 'alice-laptop'),
      '--json',
      'link',
    ]);
    const { code } = JSON.parse(await link.firstLine) as { code: string };
    match(await ok0(as('alice', 'link', 'approve', code)), /linked device 2/);
    const linked = await link.done;
    strictEqual(linked.code, 0, linked.stderr);
    match(linked.stdout, /"deviceId":2/);
    const devices = jsonLines(await ok0(as('alice', '--json', 'devices')));
    deepStrictEqual(
      devices.map((d) => [d['deviceId'], d['signed']]),
      [
        [1, true],
        [2, true],
      ],
    );

    // alice → bob while bob is offline; bob fetches later.
    const id = (await ok0(as('alice', 'send', 'bob', 'hello bob'))).trim();
    match(id, /^[0-9a-f]{32}$/);
    match(await ok0(as('bob', 'receive')), /alice: hello bob/);

    // bob → alice reaches both of alice's devices.
    await ok0(as('bob', 'send', 'alice', 'hello alice'));
    const phone = jsonLines(await ok0(as('alice', '--json', 'receive')));
    ok(
      phone.some(
        (e) => e['type'] === 'message' && (e['message'] as { text: string }).text === 'hello alice',
      ),
    );
    // ... and the delivered and read receipts for "hello bob" came back to alice.
    const receipts = phone.filter((e) => e['type'] === 'receipt').map((e) => e['receipt']);
    deepStrictEqual(receipts, ['delivered', 'read']);
    const laptop = jsonLines(await ok0(as('alice-laptop', '--json', 'receive', '--wait', '5')));
    ok(
      laptop.some(
        (e) => e['type'] === 'message' && (e['message'] as { text: string }).text === 'hello alice',
      ),
    );
    // The laptop also got the copy of what the phone sent to bob (sent-message sync).
    ok(
      laptop.some((e) => e['type'] === 'sent-sync' && e['to'] === 'bob'),
      JSON.stringify(laptop),
    );

    // alice's laptop → carol; the phone sees the sync, carol the message.
    await ok0(as('alice-laptop', 'send', 'carol', 'from the laptop'));
    match(await ok0(as('carol', 'receive')), /alice: from the laptop/);
    match(await ok0(as('alice', 'receive')), /you \(another device\) → carol: from the laptop/);

    // Safety numbers agree on both sides.
    const aliceView = (await ok0(as('alice', '--json', 'verify', 'carol'))).trim();
    const carolView = (await ok0(as('carol', '--json', 'verify', 'alice'))).trim();
    const number = (s: string) => (JSON.parse(s) as { safetyNumber: string }).safetyNumber;
    strictEqual(number(aliceView).length, 60);
    strictEqual(number(aliceView), number(carolView));
    // Human output draws the scannable form as a QR code; `--json` carries only its payload.
    const drawn = await ok0(as('alice', 'verify', 'carol'));
    match(drawn, /█{20,}\n(?:[█▀▄ ]+\n){10,}/);
    match(aliceView, /"scannable":"[0-9a-f]+"/);
    ok(!aliceView.includes('█') && !linked.stdout.includes('█'));

    // Remove the laptop: bob's next message reaches only the phone; the laptop is shut out.
    await ok0(as('alice', 'devices', 'remove', '2'));
    deepStrictEqual(
      jsonLines(await ok0(as('alice', '--json', 'devices'))).map((d) => d['deviceId']),
      [1],
    );
    await ok0(as('bob', 'send', 'alice', 'after removal'));
    match(await ok0(as('alice', 'receive')), /bob: after removal/);
    strictEqual((await as('alice-laptop', 'receive')).code, 1);

    // carol's account key changes (she re-registers): alice is refused until she accepts.
    await ok0(as('carol', 'delete-account'));
    await ok0(as('carol-new', 'register', 'carol'));
    const refused = await as('alice', 'send', 'carol', 'are you still you?');
    strictEqual(refused.code, 3);
    match(refused.stderr, /key changed/);
    match(await ok0(as('alice', 'verify', 'carol')), /CHANGED/);
    await ok0(as('alice', 'verify', 'carol', '--accept'));
    await ok0(as('alice', 'send', 'carol', 'welcome back'));
    match(await ok0(as('carol-new', 'receive')), /alice: welcome back/);
  },
);

test(
  'clear errors: unknown user, unreachable relay, wrong passphrase, usage',
  { timeout: 60_000 },
  async () => {
    await ok0(as('dave', 'register', 'dave'));
    const unknown = await as('dave', 'send', 'nobody', 'hi');
    strictEqual(unknown.code, 1);
    match(unknown.stderr, /no user named nobody/);
    const down = await cli([
      '--server',
      'http://127.0.0.1:1',
      '--home',
      join(root, 'x'),
      'register',
      'x',
    ]);
    strictEqual(down.code, 1);
    match(down.stderr, /unreachable/);
    const home = join(root, 'locked');
    const first = await cli(['--server', relay.base, '--home', home, 'register', 'erin'], {
      PARLEY_PASSPHRASE: 'right',
    });
    strictEqual(first.code, 0, first.stderr);
    const wrong = await cli(['--home', home, 'whoami'], { PARLEY_PASSPHRASE: 'wrong' });
    strictEqual(wrong.code, 1);
    match(wrong.stderr, /could not be decrypted/);
    strictEqual((await cli(['frobnicate'])).code, 2);
  },
);

test(
  'chat: history, a typed line is sent, a live message is shown',
  { timeout: 60_000 },
  async () => {
    await ok0(as('frank', 'register', 'frank'));
    await ok0(as('grace', 'register', 'grace'));
    await ok0(as('grace', 'send', 'frank', 'earlier message'));
    const chat = spawnCli(
      ['--server', relay.base, '--home', join(root, 'frank'), 'chat', 'grace'],
      {},
      'pipe',
    );
    match(await chat.firstLine, /grace: earlier message/);
    chat.child.stdin?.write('typed in chat\n');
    const deadline = Date.now() + 20_000;
    let seen = '';
    while (!seen.includes('typed in chat') && Date.now() < deadline) {
      seen += (await ok0(as('grace', 'receive'))) + '\n';
    }
    match(seen, /frank: typed in chat/);
    // Pushed over the live connection: shown well within the old polling cadence plus slack.
    const shown = outputMatches(chat.child, /grace: live reply/);
    await ok0(as('grace', 'send', 'frank', 'live reply'));
    const sentAt = Date.now();
    await Promise.race([shown, new Promise((r) => setTimeout(r, LIVE_WITHIN_MS))]);
    const waited = Date.now() - sentAt;
    ok(waited < LIVE_WITHIN_MS, `live reply not shown within ${LIVE_WITHIN_MS} ms`);
    chat.child.stdin?.end();
    const done = await chat.done;
    strictEqual(done.code, 0, done.stderr);
    match(done.stdout, /chatting with grace \(live\)/);
    match(done.stdout, /grace: live reply/);
    strictEqual(done.stdout.match(/grace: live reply/g)?.length, 1);

    // `receive --wait` started before the message is sent returns it as soon as it is pushed.
    const waiting = spawnCli([
      '--server',
      relay.base,
      '--home',
      join(root, 'frank'),
      'receive',
      '--wait',
      '30',
    ]);
    // Give the waiting process time to start and connect, then send.
    await new Promise((r) => setTimeout(r, 2000));
    await ok0(as('grace', 'send', 'frank', 'while waiting'));
    const startedAt = Date.now();
    const got = await waiting.done;
    strictEqual(got.code, 0, got.stderr);
    match(got.stdout, /grace: while waiting/);
    ok(Date.now() - startedAt < 10_000, 'receive --wait returned long after the message came');
  },
);
