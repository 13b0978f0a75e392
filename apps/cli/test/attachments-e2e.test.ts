/**
 * Attachments end to end with real processes: a relay process on SQLite (blobs on disk under its
 * data directory) and `parley` processes for alice (two devices), bob and carol. A 10 MB file
 * and an image go to a contact and to a group; every receiving device saves a file with the
 * sender's digest. A blob altered or truncated in the relay's data directory is reported as an
 * error event and nothing is saved.
 */
import { createHash, randomBytes } from 'node:crypto';
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliSuite, ok0 } from './processes.js';

const suite = cliSuite('attachments-e2e');
const { home, as } = suite;

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

interface Saved {
  name: string;
  size: number;
  sha256: string;
  path: string;
  contentType: string;
  thumbnail?: string;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The files `receive --json` reports saved, checked against the files on disk. */
async function receiveFiles(name: string, ...extra: string[]): Promise<Saved[]> {
  const events = jsonLines(await ok0(as(name, '--json', 'receive', ...extra)));
  const saved = events.flatMap((e) => (e['attachments'] as Saved[] | undefined) ?? []);
  for (const f of saved) {
    strictEqual(sha256(readFileSync(f.path)), f.sha256, `${name} saved what was sent`);
    strictEqual(statSync(f.path).size, f.size);
  }
  for (const e of events) ok(!JSON.stringify(e).includes('"key"'), 'no attachment key printed');
  return saved;
}

/** A small valid PNG (1×1, red). */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082',
  'hex',
);

function blobFiles(): string[] {
  const dir = join(suite.root, 'relay-data', 'blobs');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.blob'))
    .map((f) => join(dir, f));
}

test(
  'files through the CLI: to a contact and to a group, saved and verified on every device; tampered blobs saved nowhere',
  { timeout: 600_000 },
  async () => {
    for (const n of ['alice', 'bob', 'carol']) await ok0(as(n, 'register', n));
    strictEqual((await suite.link('alice', 'alice-laptop')).code, 0);

    const files = join(suite.root, 'outgoing');
    mkdirSync(files);
    const big = randomBytes(10 * 1024 * 1024);
    writeFileSync(join(files, 'video.mp4'), big);
    writeFileSync(join(files, 'dot.png'), PNG);

    // To a contact: bob saves both files; alice's laptop gets the sent copy and saves them too.
    const sent = jsonLines(
      await ok0(
        as(
          'alice',
          '--json',
          'send',
          'bob',
          '--file',
          join(files, 'video.mp4'),
          '--file',
          join(files, 'dot.png'),
          'two files',
        ),
      ),
    );
    ok(typeof sent[0]?.['messageId'] === 'string');
    const atBob = await receiveFiles('bob');
    deepStrictEqual(
      atBob.map((f) => [f.name, f.size, f.sha256, f.contentType]),
      [
        ['video.mp4', big.length, sha256(big), 'video/mp4'],
        ['dot.png', PNG.length, sha256(PNG), 'image/png'],
      ],
    );
    ok(atBob.every((f) => f.path.startsWith(join(home('bob'), 'attachments'))));
    // The image came with the thumbnail alice's CLI made (a JPEG); the video with none.
    strictEqual(atBob[0]?.thumbnail, undefined);
    const thumb = atBob[1]?.thumbnail;
    ok(thumb !== undefined);
    ok(thumb.startsWith(join(home('bob'), 'attachments', '.thumbnails')), thumb);
    deepStrictEqual([...readFileSync(thumb).subarray(0, 3)], [0xff, 0xd8, 0xff]);
    const laptopDir = join(suite.root, 'laptop-files');
    const atLaptop = await receiveFiles('alice-laptop', '--save-dir', laptopDir);
    deepStrictEqual(
      atLaptop.map((f) => f.sha256),
      [sha256(big), sha256(PNG)],
    );
    ok(atLaptop.every((f) => f.path.startsWith(laptopDir)));

    // To a group: one upload, every member device saves it.
    const created = jsonLines(
      await ok0(as('bob', '--json', 'group', 'create', 'Family', 'alice', 'carol')),
    );
    ok(created.length > 0);
    for (const n of ['alice', 'alice-laptop', 'carol']) await ok0(as(n, 'receive'));
    const blobsBefore = blobFiles().length;
    await ok0(as('bob', 'send', '--group', 'family', '--file', join(files, 'video.mp4')));
    strictEqual(blobFiles().length, blobsBefore + 1, 'one blob for the whole group');
    for (const n of ['alice', 'alice-laptop', 'carol']) {
      const got = await receiveFiles(n);
      deepStrictEqual(
        got.map((f) => f.sha256),
        [sha256(big)],
      );
    }

    // Altered at the relay: one bit flipped in the stored blob. An error event, nothing saved.
    const before = new Set(blobFiles());
    await ok0(as('alice', 'send', 'carol', '--file', join(files, 'dot.png')));
    const [altered] = blobFiles().filter((f) => !before.has(f));
    ok(altered !== undefined);
    const bytes = readFileSync(altered);
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    writeFileSync(altered, bytes);
    const carolDir = join(home('carol'), 'attachments');
    const carolBefore = readdirSync(carolDir).sort();
    const events = jsonLines(await ok0(as('carol', '--json', 'receive')));
    const error = events.find((e) => e['type'] === 'attachment-error');
    deepStrictEqual(error && { name: error['name'], code: error['code'] }, {
      name: 'dot.png',
      code: 'ATTACHMENT_INVALID',
    });
    deepStrictEqual(events.find((e) => e['type'] === 'message')?.['attachments'], []);
    deepStrictEqual(readdirSync(carolDir).sort(), carolBefore, 'nothing saved, no partial file');

    // Truncated at the relay: the same.
    const before2 = new Set(blobFiles());
    await ok0(as('alice', 'send', 'carol', '--file', join(files, 'video.mp4')));
    const [cut] = blobFiles().filter((f) => !before2.has(f));
    ok(cut !== undefined);
    truncateSync(cut, statSync(cut).size - 1000);
    const events2 = jsonLines(await ok0(as('carol', '--json', 'receive')));
    strictEqual(events2.filter((e) => e['type'] === 'attachment-error').length, 1);
    deepStrictEqual(readdirSync(carolDir).sort(), carolBefore);
  },
);

test(
  'a reply, a reaction, an edit and a delete for everyone through the CLI, seen the same on every device',
  { timeout: 300_000 },
  async () => {
    // Runs after the test above: alice (two devices) and bob are registered.
    const [sent] = jsonLines(await ok0(as('alice', '--json', 'send', 'bob', 'meet at 5')));
    const id = sent?.['messageId'] as string;
    ok(typeof id === 'string');
    await ok0(as('bob', 'receive'));
    await ok0(as('alice-laptop', 'receive'));
    await ok0(as('bob', 'send', 'alice', '--reply-to', id, 'ok!'));
    await ok0(as('bob', 'react', 'alice', id, '👍'));
    const atAlice = jsonLines(await ok0(as('alice', '--json', 'receive')));
    const reply = atAlice.find((e) => e['type'] === 'message')?.['message'] as Record<
      string,
      unknown
    >;
    strictEqual(reply['replyTo'], id);
    const reacted = atAlice.find((e) => e['type'] === 'message-updated');
    const reactions = (reacted?.['message'] as { reactions?: Record<string, string> } | undefined)
      ?.reactions;
    deepStrictEqual(Object.values(reactions ?? {}), ['👍']);
    await ok0(as('alice', 'edit', 'bob', id, 'meet at 6'));
    await ok0(as('alice', 'delete', 'bob', id));
    for (const n of ['bob', 'alice-laptop']) {
      const updates = jsonLines(await ok0(as(n, '--json', 'receive'))).filter(
        (e) => e['type'] === 'message-updated',
      );
      const actions = updates.map((e) => e['action']);
      deepStrictEqual(
        actions.filter((a) => a !== 'reaction'),
        ['edit', 'delete'],
        `${n} saw the edit, then the delete`,
      );
      const last = updates.at(-1)?.['message'] as Record<string, unknown>;
      deepStrictEqual([last['deleted'], last['text']], [true, '']);
    }
    const refused = await as('bob', 'edit', 'alice', id, 'hijack');
    strictEqual(refused.code, 1);
  },
);
