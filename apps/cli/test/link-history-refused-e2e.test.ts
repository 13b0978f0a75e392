/**
 * Linking when the primary cannot send its history, end to end with a relay process (SQLite,
 * blobs on disk) and `parley` processes: the relay's blob directory is made unusable, so it
 * refuses the history upload; `link approve` still links and signs the new device, the new
 * device's `link --json` reports `history: { status: 'not sent', code }`, it shows no earlier
 * message and it receives new ones.
 */
import { ok, strictEqual } from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliSuite, jsonLines, ok0 } from './processes.js';

const suite = cliSuite('link-history-refused-e2e');
const { as } = suite;

test(
  'a history upload the relay refuses does not stop the link; the new device says it was not sent',
  { timeout: 600_000 },
  async () => {
    for (const n of ['alice', 'bob']) await ok0(as(n, 'register', n));
    await ok0(as('alice', 'send', 'bob', 'before the link'));
    await ok0(as('bob', 'receive'));

    // Every blob write at the relay now fails: the upload is refused with the relay's error.
    const blobs = join(suite.root, 'relay-data', 'blobs');
    renameSync(blobs, `${blobs}.off`);
    writeFileSync(blobs, 'not a directory');
    try {
      const linked = await suite.link('alice', 'alice-laptop');
      strictEqual(linked.code, 0, linked.stderr);
      const last = jsonLines(linked.stdout).at(-1);
      const history = last?.['history'] as { status?: unknown; code?: unknown } | undefined;
      strictEqual(history?.status, 'not sent', linked.stdout);
      ok(typeof history.code === 'string' && history.code.length > 0, linked.stdout);
    } finally {
      rmSync(blobs, { force: true });
      renameSync(`${blobs}.off`, blobs);
    }
    ok(!(await ok0(as('alice-laptop', 'chat', 'bob'))).includes('before the link'));
    await ok0(as('bob', 'send', 'alice', 'after the link'));
    ok((await ok0(as('alice-laptop', 'receive'))).includes('after the link'));
  },
);
