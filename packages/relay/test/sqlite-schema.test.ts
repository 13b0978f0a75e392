// Pins the SQLite schema that the numbered migrations produce: editing a released migration
// (instead of appending one) changes it and fails this test. After appending a migration,
// regenerate with PARLEY_UPDATE_FIXTURES=1 npm test -- packages/relay/test/sqlite-schema
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_FILE_NAME, openSqliteStorage } from '@parley/relay';

const FIXTURE = new URL('./fixtures/sqlite-schema.sql', import.meta.url);

test('the migrated SQLite schema matches the checked-in fixture', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-schema-'));
  try {
    await openSqliteStorage({ dataDir: dir }).close();
    const db = new Database(join(dir, SQLITE_FILE_NAME), { readonly: true });
    const rows = db
      .prepare<[], { sql: string }>(
        'SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name',
      )
      .all();
    const version = Number(db.pragma('user_version', { simple: true }));
    db.close();
    const schema = `-- user_version ${version}\n${rows.map((r) => `${r.sql.replace(/\s+/g, ' ').trim()};`).join('\n')}\n`;
    if (process.env['PARLEY_UPDATE_FIXTURES'] === '1') writeFileSync(FIXTURE, schema);
    assert.equal(schema, readFileSync(FIXTURE, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
