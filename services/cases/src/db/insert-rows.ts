import { Prisma } from '../generated/prisma/client.ts';
import type { Tx } from '../outbox/outbox.ts';

type ColumnType = 'uuid' | 'text' | 'text[]' | 'int' | 'boolean' | 'timestamptz' | 'jsonb';

/**
 * Inserts many rows of one table in one statement, handed to PostgreSQL as a single JSON
 * parameter (read back by `jsonb_to_recordset`). For the consumers' batches: there Prisma's
 * `createMany` spent more CPU preparing hundreds of rows' parameters (bigram arrays, JSON
 * documents) than the database spent storing them. Rows are keyed by column name; a column left
 * out of `columns` takes its default. With `ignoreConflicts`, rows that would violate a unique
 * key are skipped. Returns the `returning` column of the rows inserted, as text.
 */
export async function insertRows(
  tx: Tx,
  table: string,
  columns: Record<string, ColumnType>,
  rows: Record<string, unknown>[],
  options: { ignoreConflicts?: boolean; returning?: string } = {},
): Promise<string[]> {
  if (rows.length === 0) return [];
  const names = Prisma.raw(Object.keys(columns).join(', '));
  const types = Prisma.raw(
    Object.entries(columns)
      .map(([name, type]) => `${name} ${type}`)
      .join(', '),
  );
  const conflict = Prisma.raw(options.ignoreConflicts ? 'ON CONFLICT DO NOTHING' : '');
  const statement = Prisma.sql`
    INSERT INTO cases.${Prisma.raw(table)} (${names})
    SELECT ${names} FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(${types})
    ${conflict}`;
  if (!options.returning) {
    await tx.$executeRaw(statement);
    return [];
  }
  const inserted = await tx.$queryRaw<
    { key: string }[]
  >`${statement} RETURNING ${Prisma.raw(options.returning)}::text AS key`;
  return inserted.map(({ key }) => key);
}
