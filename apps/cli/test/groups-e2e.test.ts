/**
 * MLS groups end to end with real processes: a relay process on SQLite, and `parley` processes
 * for alice (two devices), bob, carol, dave, erin and frank, each in its own home. A few checks
 * open a device's store in this process (with its key file) to act as a hostile relay or member.
 */
import { deepStrictEqual, match, ok, strictEqual } from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Envelope } from '@parley/api';
import { fromBase64, toBase64, utf8Decode, utf8Encode } from '@parley/bytes';
import type { StorageBackend } from '@parley/client';
import { openSqliteBackend } from '@parley/client/node';
import {
  CredentialType,
  MlsCrypto,
  ProposalType,
  createCommit,
  createKeyPackage,
  decodeGroupState,
  decodeMlsMessage,
  decryptApplicationMessage,
  encodeMlsMessage,
} from '@parley/mls';
import { createNodePrimitives } from '@parley/primitives-node';
import { cli, cliSuite, jsonLines, ok0, outputMatches, spawnCli } from './processes.js';

const primitives = createNodePrimitives();

const mls = new MlsCrypto(primitives, 1);

const suite = cliSuite('groups-e2e');
const { home, as } = suite;

interface Summary {
  groupId: string;
  name: string;
  epoch: number;
  status: string;
  blocked?: { code: string };
  members: { username: string; devices: number[] }[];
}

async function list(name: string): Promise<Summary[]> {
  return jsonLines(await ok0(as(name, '--json', 'group', 'list'))) as unknown as Summary[];
}

const roster = (s: Summary | undefined): string[] =>
  (s?.members ?? []).map((m) => `${m.username}:${m.devices.join('+')}`).sort();

/** A device's store and account, opened in this process (its `parley` is not running). */
function openDevice(name: string): {
  store: StorageBackend;
  account: { accountId: string; deviceId: number; secret: string; mlsSignaturePrivateKey: string };
} {
  const store = openSqliteBackend({
    path: join(home(name), 'store.db'),
    primitives,
    secret: { keyFile: join(home(name), 'store.key') },
  });
  const raw = store.get('account', 'self');
  ok(raw !== undefined);
  return {
    store,
    account: JSON.parse(utf8Decode(raw)) as ReturnType<typeof openDevice>['account'],
  };
}

/** Whether a group state (a former member's, kept aside) decrypts a queued message. */
function opens(state: Uint8Array, content: string): boolean {
  try {
    decryptApplicationMessage(
      mls,
      decodeGroupState(mls, state),
      decodeMlsMessage(fromBase64(content)),
    );
    return true;
  } catch {
    return false;
  }
}

/** A device's relay credentials, read from its store. */
function openDeviceAccount(name: string): ReturnType<typeof openDevice>['account'] {
  const device = openDevice(name);
  device.store.close();
  return device.account;
}

async function relayCall(
  creds: { accountId: string; deviceId: number; secret: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const auth = `Basic ${toBase64(utf8Encode(`${creds.accountId}.${creds.deviceId}:${creds.secret}`))}`;
  return fetch(`${suite.relay.base}${path}`, {
    method,
    headers: {
      authorization: auth,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

test(
  'groups through the CLI: create, talk, add, remove, race, catch up, queued send, leave, ghost member',
  { timeout: 600_000 },
  async () => {
    for (const n of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'])
      await ok0(as(n, 'register', n));
    strictEqual((await suite.link('alice', 'alice-laptop')).code, 0);

    // Create: alice's laptop joins too, since all of a user's devices are members.
    const created = jsonLines(
      await ok0(as('alice', '--json', 'group', 'create', 'Book Club', 'bob', 'carol')),
    );
    const groupId = created.find(
      (e) => typeof e['groupId'] === 'string' && e['type'] === undefined,
    )?.['groupId'] as string;
    match(groupId, /^[A-Za-z0-9_-]{22}$/);
    for (const n of ['alice-laptop', 'bob', 'carol'])
      match(await ok0(as(n, 'receive')), /\[Book Club\] .* joined, added by alice/);
    deepStrictEqual(roster((await list('bob'))[0]), ['alice:1+2', 'bob:1', 'carol:1']);

    // Talk: every device of every member gets each message.
    const sent = jsonLines(
      await ok0(as('bob', '--json', 'send', '--group', 'book club', 'hello club')),
    );
    // Sealed with the epoch's token: the relay did not learn it was bob.
    strictEqual(sent.at(-1)?.['sealed'], true);
    for (const n of ['alice', 'alice-laptop', 'carol'])
      match(await ok0(as(n, 'receive')), /\[Book Club\] bob: hello club/);
    await ok0(as('alice-laptop', 'send', '--group', groupId.slice(0, 8), 'from the laptop'));
    match(
      await ok0(as('alice', 'receive')),
      /\[Book Club\] alice \(your device 2\): from the laptop/,
    );
    for (const n of ['bob', 'carol'])
      match(await ok0(as(n, 'receive')), /\[Book Club\] alice: from the laptop/);

    // bob adds dave; every member sees that bob did it.
    match(await ok0(as('bob', 'group', 'add', 'Book Club', 'dave')), /bob added dave/);
    match(await ok0(as('dave', 'receive')), /dave joined, added by bob/);
    for (const n of ['alice', 'alice-laptop', 'carol'])
      match(await ok0(as(n, 'receive')), /\[Book Club\] bob added dave/);
    // dave now goes offline for several epochs.

    // alice removes carol; carol sees who did it and can neither send nor read what follows.
    match(await ok0(as('alice', 'group', 'remove', 'Book Club', 'carol')), /alice removed carol/);
    // Her last group state (keys of the epoch before her removal), kept aside to try later.
    const carol = openDevice('carol');
    const carolState = carol.store.get('group-state', groupId);
    carol.store.close();
    ok(carolState !== undefined);
    match(await ok0(as('carol', 'receive')), /\[Book Club\] alice removed carol/);
    for (const n of ['alice-laptop', 'bob'])
      match(await ok0(as(n, 'receive')), /\[Book Club\] alice removed carol/);
    await ok0(as('bob', 'send', '--group', 'Book Club', 'carol cannot read this'));
    const refused = await as('carol', 'send', '--group', 'Book Club', 'let me in');
    strictEqual(refused.code, 1);
    match(refused.stderr, /no group of ours is called/);
    // A hostile relay hands carol the ciphertext anyway (taken from offline dave's queue): her
    // keys cannot open it.
    const daveDevice = openDevice('dave');
    daveDevice.store.close();
    const queued = (await (await relayCall(daveDevice.account, 'GET', '/v1/messages')).json()) as {
      messages: Envelope[];
    };
    const secret = queued.messages.filter((m) => m.type === 34).at(-1);
    ok(secret !== undefined);
    strictEqual(opens(carolState, secret.content), false);

    // Concurrent commits: bob adds erin while alice adds frank, from the same epoch.
    const [byBob, byAlice] = await Promise.all([
      as('bob', 'group', 'add', 'Book Club', 'erin'),
      as('alice', 'group', 'add', 'Book Club', 'frank'),
    ]);
    strictEqual(byBob.code, 0, byBob.stderr);
    strictEqual(byAlice.code, 0, byAlice.stderr);
    match(byBob.stdout, /bob added erin/);
    match(byAlice.stdout, /alice added frank/);
    // Neither had received the other's commit: the loser got EPOCH_CONFLICT, processed the
    // winner's commit from the log (its output shows it) and committed again on the new epoch.
    ok(/alice added frank/.test(byBob.stdout) || /bob added erin/.test(byAlice.stdout));
    for (const n of ['erin', 'frank']) match(await ok0(as(n, 'receive')), /joined, added by/);
    for (const n of ['alice', 'alice-laptop', 'bob']) await ok0(as(n, 'receive'));
    const expected = ['alice:1+2', 'bob:1', 'dave:1', 'erin:1', 'frank:1'];
    const epochs = new Set<number>();
    for (const n of ['alice', 'alice-laptop', 'bob', 'erin', 'frank']) {
      const g = (await list(n)).find((s) => s.groupId === groupId);
      deepStrictEqual(roster(g), expected);
      epochs.add(g?.epoch ?? -1);
    }
    deepStrictEqual([...epochs], [5]);

    // dave comes back after three epochs: he catches up and reads the newest message.
    await ok0(as('erin', 'send', '--group', 'Book Club', 'welcome back dave'));
    const daveSees = await ok0(as('dave', 'receive'));
    match(daveSees, /alice removed carol[\s\S]*added (erin|frank)[\s\S]*added (erin|frank)/);
    match(daveSees, /\[Book Club\] erin: welcome back dave/);
    match(daveSees, /bob: carol cannot read this/);
    deepStrictEqual(roster((await list('dave')).find((s) => s.groupId === groupId)), expected);

    // chat --group: bob's chat shows erin's message as the relay pushes it; a typed line goes out.
    const chat = spawnCli(
      ['--server', suite.relay.base, '--home', home('bob'), 'chat', '--group', 'Book Club'],
      {},
      'pipe',
    );
    await outputMatches(chat.child, /chatting with the group Book Club \(live\)/);
    const shown = outputMatches(chat.child, /\[Book Club\] erin: pushed to the chat/);
    await ok0(as('erin', 'send', '--group', 'Book Club', 'pushed to the chat'));
    await Promise.race([
      shown,
      new Promise((_, reject) => setTimeout(() => reject(new Error('not shown live')), 10_000)),
    ]);
    chat.child.stdin?.write('typed in the group chat\n');
    let seen = '';
    for (let i = 0; i < 20 && !seen.includes('typed in the group chat'); i++)
      seen += await ok0(as('erin', 'receive'));
    match(seen, /\[Book Club\] bob: typed in the group chat/);
    chat.child.stdin?.end();
    strictEqual((await chat.done).code, 0);

    // send --group with the relay unreachable: queued (exit 1, like a 1:1 send the relay did not
    // take); frank's next run delivers it, once.
    const offline = await cli([
      '--server',
      'http://127.0.0.1:1',
      '--home',
      home('frank'),
      'send',
      '--group',
      'Book Club',
      'sent when back',
    ]);
    strictEqual(offline.code, 1, offline.stderr);
    match(offline.stdout, /queued [0-9a-f]+: .*UNREACHABLE/);
    await ok0(as('frank', 'receive'));

    // erin leaves: bob's next receive commits her request; every other member sees that she
    // left and who committed it, and she is off every roster. Her keys, kept aside, cannot read
    // what follows, and the relay no longer routes the group to her.
    match(await ok0(as('erin', 'group', 'leave', 'Book Club')), /asked to leave Book Club/);
    const erin = openDevice('erin');
    const erinState = erin.store.get('group-state', groupId);
    erin.store.close();
    ok(erinState !== undefined);
    match(await ok0(as('bob', 'receive')), /\[Book Club\] erin left \(committed by bob\)/);
    const others = ['alice', 'alice-laptop', 'dave', 'frank'];
    const told = await Promise.all(others.map((n) => ok0(as(n, 'receive'))));
    for (const out of told) match(out, /\[Book Club\] erin left \(committed by bob\)/);
    strictEqual(told[2]?.match(/\[Book Club\] frank: sent when back/g)?.length, 1);
    const remaining = ['alice:1+2', 'bob:1', 'dave:1', 'frank:1'];
    for (const summaries of await Promise.all(['bob', ...others].map((n) => list(n)))) {
      const g = summaries.find((x) => x.groupId === groupId);
      deepStrictEqual(roster(g), remaining);
      strictEqual(g?.epoch, 6);
    }
    match(await ok0(as('erin', 'receive')), /\[Book Club\] erin left \(committed by bob\)/);
    await ok0(as('bob', 'send', '--group', 'Book Club', 'erin has gone'));
    const frankQueue = (await (
      await relayCall(openDeviceAccount('frank'), 'GET', '/v1/messages')
    ).json()) as { messages: Envelope[] };
    const afterErin = frankQueue.messages.filter((m) => m.type === 34).at(-1);
    ok(afterErin !== undefined);
    strictEqual(opens(erinState, afterErin.content), false);
    const erinLater = await ok0(as('erin', 'receive'));
    strictEqual(erinLater.includes('erin has gone'), false);
    match((await as('erin', 'send', '--group', 'Book Club', 'still here?')).stderr, /no group/);

    // Ghost member: frank (a member) commits an Add of a KeyPackage claiming bob's device 1
    // under a key bob's signed device list does not hold. Every member refuses it.
    const frank = openDevice('frank');
    const stored = frank.store.get('group-state', groupId);
    frank.store.close();
    ok(stored !== undefined);
    const state = decodeGroupState(mls, stored);
    const bobAccount = openDevice('bob');
    bobAccount.store.close();
    const forged = createKeyPackage(mls, {
      credential: {
        credentialType: CredentialType.basic,
        identity: utf8Encode(`parley1:${bobAccount.account.accountId}:1`),
      },
      signaturePrivateKey: primitives.ed25519.generateKeyPair().privateKey,
      lifetime: { notBefore: 0n, notAfter: 1n << 40n },
    }).keyPackage;
    const crafted = createCommit(mls, state, {
      signaturePrivateKey: fromBase64(frank.account.mlsSignaturePrivateKey),
      proposals: [{ proposalType: ProposalType.add, keyPackage: forged }],
      privateMessage: true,
      psks: () => undefined,
      policy: { authenticate: () => true },
    });
    const group = (await (
      await relayCall(frank.account, 'GET', `/v1/groups/${groupId}`)
    ).json()) as {
      epoch: number;
      members: unknown[];
    };
    const posted = await relayCall(frank.account, 'POST', `/v1/groups/${groupId}/commits`, {
      epoch: group.epoch,
      commit: toBase64(encodeMlsMessage(crafted.message)),
      members: group.members,
    });
    strictEqual(posted.status, 200);
    for (const n of ['alice', 'bob', 'dave']) {
      match(await ok0(as(n, 'receive')), /REFUSED \(UNBACKED_MEMBER\)/);
      const g = (await list(n)).find((s) => s.groupId === groupId);
      strictEqual(g?.epoch, 6);
      strictEqual(g.blocked?.code, 'UNBACKED_MEMBER');
      deepStrictEqual(roster(g), remaining);
    }
    // Nothing of the group's name or messages is in the relay's data directory.
    const dataDir = join(suite.root, 'relay-data');
    // (Every file, the key transparency log's directory included.)
    const bytes = Buffer.concat(
      readdirSync(dataDir, { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile())
        .map((e) => readFileSync(join(e.parentPath, e.name))),
    );
    strictEqual(bytes.includes('Book Club'), false);
    strictEqual(bytes.includes('hello club'), false);
  },
);
