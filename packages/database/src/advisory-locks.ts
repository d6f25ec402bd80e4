/** A Prisma client or transaction of any service: what taking the locks needs of it. */
interface RawQueries {
  $queryRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<unknown>;
}

/**
 * Transaction locks on `keys` within `scope` (`<scope>:<key>`), held until the transaction ends:
 * work on one key takes turns across transactions, replicas and services. Taken in one fixed
 * (sorted) order by every transaction, so two never wait on each other in a circle.
 */
export async function lockKeys(tx: RawQueries, scope: string, keys: string[]): Promise<void> {
  const sorted = [...new Set(keys)].sort();
  if (sorted.length === 0) return;
  // An aggregate takes the locks row by row, in the array's order.
  await tx.$queryRaw`
    SELECT string_agg(pg_advisory_xact_lock(hashtextextended(${`${scope}:`}::text || k, 0))::text, '')
    FROM unnest(${sorted}::text[]) WITH ORDINALITY AS t(k, n)`;
}
