/** `parley-server migrate --from-sqlite DIR --to URL` (see `migrateSqliteToPg` in the relay). */
import { MigrateError, migrateSqliteToPg } from '@parley/relay';

export const MIGRATE_USAGE = `usage: parley-server migrate --from-sqlite DIR --to postgres://user@host:port/db
  Copies the SQLite data directory DIR into an empty PostgreSQL database (the relay must be
  stopped). DATABASE_URL may stand for --to.`;

/** Runs the command; returns the process exit code. */
export async function runMigrate(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  let from: string | undefined;
  let to = env['DATABASE_URL'];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--from-sqlite') from = argv[++i];
    else if (arg === '--to') to = argv[++i];
    else if (arg === '--help' || arg === '-h') {
      console.log(MIGRATE_USAGE);
      return 0;
    } else {
      console.error(`parley-server migrate: unknown option ${String(arg)}\n${MIGRATE_USAGE}`);
      return 2;
    }
  }
  if (from === undefined || to === undefined || to === '') {
    console.error(`parley-server migrate: --from-sqlite and --to are required\n${MIGRATE_USAGE}`);
    return 2;
  }
  try {
    const report = await migrateSqliteToPg({ sqliteDir: from, databaseUrl: to });
    for (const [table, n] of Object.entries(report)) console.log(`${table}: ${String(n)} rows`);
    console.log('parley: migration done; start the relay with --database-url');
    return 0;
  } catch (error) {
    // Messages name no data (and never the URL, which may hold a password).
    console.error(
      `parley-server migrate: ${error instanceof MigrateError ? error.message : error instanceof Error ? error.message : 'failed'}`,
    );
    return 1;
  }
}
