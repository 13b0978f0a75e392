/**
 * Throwaway PostgreSQL databases for tests: `createThrowawayDatabase` creates a database with a
 * random name next to the one `adminUrl` names, and `drop` removes it (closing its connections).
 */
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import pg from 'pg';

/** The local test server (CI starts it), unless PARLEY_TEST_DATABASE_URL names another. */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export function testDatabaseUrl(): string {
  return process.env['PARLEY_TEST_DATABASE_URL'] ?? DEFAULT_TEST_DATABASE_URL;
}

export interface ThrowawayDatabase {
  readonly url: string;
  readonly drop: () => Promise<void>;
}

export async function createThrowawayDatabase(
  adminUrl = testDatabaseUrl(),
): Promise<ThrowawayDatabase> {
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * A test file's database: made before its tests, dropped after them. `url()` names it;
 * `freshSchema()` names a schema no earlier call gave (`prefix` then a counter).
 */
export function useThrowawayDatabase(prefix: string): {
  readonly url: () => string;
  readonly freshSchema: () => string;
} {
  let db: ThrowawayDatabase | undefined;
  let schemas = 0;
  before(async () => {
    db = await createThrowawayDatabase();
  });
  after(async () => {
    await db?.drop();
  });
  return {
    url: () => {
      if (db === undefined) throw new Error('no test database');
      return db.url;
    },
    freshSchema: () => `${prefix}${String(++schemas)}`,
  };
}
