/**
 * History on a newly linked device, end to end with real processes: a relay process on SQLite
 * (blobs on disk under its data directory) and `parley` processes. Alice's primary offers its
 * conversations when it approves a link; the new device imports them and shows the earlier
 * messages; a device that declines (`--no-history`) starts empty; an archive altered at the
 * relay is refused and the new device imports nothing (it is still linked).
 */
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { cliSuite, jsonLines, ok0, spawnCli } from './processes.js';

const suite = cliSuite('link-history-e2e');
const { home, as } = suite;

/** How long the test waits for the primary's archive to reach the relay's disk. */
const BLOB_WAIT_MS = 120_000;

function blobFiles(): string[] {
  const dir = join(suite.root, 'relay-data', 'blobs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.blob'))
    .map((f) => join(dir, f));
}

/** Starts `link` for a new home of alice; the process and its code. */
async function startLink(name: string, ...extra: string[]) {
  const link = spawnCli([
    '--server',
    suite.relay.base,
    '--home',
    home(name),
    '--json',
    'link',
    ...extra,
  ]);
  const { code } = JSON.parse(await link.firstLine) as { code: string };
  return { link, code };
}

/** The `history` field of the link's final JSON line. */
function historyOf(stdout: string): Record<string, unknown> | undefined {
  const last = jsonLines(stdout).at(-1);
  return last?.['history'] as Record<string, unknown> | undefined;
}

test(
  'a linked device imports the primary’s history; declining or an altered archive imports nothing',
  { timeout: 600_000 },
  async () => {
    for (const n of ['alice', 'bob']) await ok0(as(n, 'register', n));
    await ok0(as('alice', 'send', 'bob', 'before the link'));
    await ok0(as('bob', 'receive'));
    await ok0(as('bob', 'send', 'alice', 'an answer from bob'));
    await ok0(as('alice', 'receive'));

    // Imported: the laptop shows both earlier messages.
    const laptop = await startLink('alice-laptop');
    await ok0(as('alice', 'link', 'approve', laptop.code));
    const linked = await laptop.link.done;
    strictEqual(linked.code, 0, linked.stderr);
    deepStrictEqual(historyOf(linked.stdout), { status: 'imported', messages: 2 });
    const shown = await ok0(as('alice-laptop', 'chat', 'bob'));
    ok(shown.includes('before the link') && shown.includes('an answer from bob'), shown);
    // And it keeps talking: a new message from bob reaches it.
    await ok0(as('bob', 'send', 'alice', 'after the link'));
    ok((await ok0(as('alice-laptop', 'receive'))).includes('after the link'));

    // Declined on the new device: linked, nothing imported.
    const tablet = await startLink('alice-tablet', '--no-history');
    await ok0(as('alice', 'link', 'approve', tablet.code));
    const declined = await tablet.link.done;
    strictEqual(declined.code, 0, declined.stderr);
    deepStrictEqual(historyOf(declined.stdout), { status: 'declined' });
    ok(!(await ok0(as('alice-tablet', 'chat', 'bob'))).includes('before the link'));

    // Altered at the relay: the new device is held (SIGSTOP) while the primary uploads the
    // archive, one bit of the stored blob is flipped, then it goes on and must refuse it.
    const phone = await startLink('alice-phone');
    const before = new Set(blobFiles());
    ok(phone.link.child.kill('SIGSTOP'));
    const approve = as('alice', 'link', 'approve', phone.code);
    let blob: string | undefined;
    for (const deadline = Date.now() + BLOB_WAIT_MS; ;) {
      blob = blobFiles().find((f) => !before.has(f) && statSync(f).size > 0);
      if (blob !== undefined) break;
      ok(Date.now() < deadline, 'the archive reached the relay');
      await sleep(20);
    }
    await sleep(500); // the single chunk's write completes
    const bytes = readFileSync(blob);
    bytes[40] = (bytes[40] ?? 0) ^ 1;
    writeFileSync(blob, bytes);
    ok(phone.link.child.kill('SIGCONT'));
    strictEqual((await approve).code, 0);
    const refused = await phone.link.done;
    strictEqual(refused.code, 0, refused.stderr);
    deepStrictEqual(historyOf(refused.stdout), { status: 'failed', code: 'ATTACHMENT_INVALID' });
    const empty = await ok0(as('alice-phone', 'chat', 'bob'));
    ok(!empty.includes('before the link') && !empty.includes('an answer from bob'), empty);
  },
);
