/**
 * Statements for the PostgreSQL backend: every statement text gets a stable name, so each pooled
 * connection parses and plans it once (a named prepared statement) and then only binds values.
 * 64-bit integers come back as numbers (every one the relay stores is below 2^53).
 */
import pg from 'pg';

export type Row = Record<string, unknown>;

/** Runs one statement on a pool or on a client inside a transaction (`R`: the row's shape). */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export type Query = <R extends Row = Row>(
  text: string,
  values?: readonly unknown[],
) => Promise<{ rows: R[]; rowCount: number }>;

const names = new Map<string, string>();

function nameOf(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `parley_${String(names.size + 1)}`;
    names.set(text, name);
  }
  return name;
}

const INT8_OID = pg.types.builtins.INT8;

/** Type parsers: int8 (bigint, count(*)) as a JavaScript number. */
export const PG_TYPES = {
  getTypeParser: ((
    oid: Parameters<typeof pg.types.getTypeParser>[0],
    format?: 'text' | 'binary',
  ) =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : (pg.types.getTypeParser(
          oid,
          format ?? 'text',
        ) as unknown)) as typeof pg.types.getTypeParser,
};

/** A `Query` on `target` (a pool or a checked-out client). */
export function queryOn(target: pg.Pool | pg.PoolClient): Query {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  return async <R extends Row>(text: string, values: readonly unknown[] = []) => {
    const result = await target.query<R>({ name: nameOf(text), text, values: [...values] });
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  };
}
