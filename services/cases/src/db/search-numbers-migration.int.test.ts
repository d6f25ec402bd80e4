import { randomUUID } from 'node:crypto';
import { migrate } from '@huijie/database/migrate.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { searchGramsOf } from '../search/bigrams.ts';
import { findCasePage } from '../search/search-cases.ts';
import { casesDbBefore } from './fresh-cases-db.ts';
import { casesDb, casesMigrationsDir, casesSchema } from './prisma.ts';

const servers = await requireServers('postgres');
const backfill = '20261130000000_search_numbers_without_separators';

/** A case's words as the code before the migration wrote them: any comma split a number. */
const writtenBefore = (texts: string[]) => searchGramsOf(texts.map((text) => text.replace(/[,，]/g, ' ')));

describe.runIf(servers)('the migration that gives stored search words the numbers without separators', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('finds the cases written before by the plain number, and stores what the search words are today', async () => {
    const database = await casesDbBefore(servers!.databaseUrl!, backfill);
    cleanups.push(database.cleanup);
    const { sql } = database;

    // Each case: its title, then its report's title (intake) and content.
    const cases: Record<string, [string | null, string | null, string]> = {
      guo: ['拖欠工资', null, '干了19天，老板不给工钱，共3,800元'],
      fullWidth: [null, null, '欠款３，８００元未付'],
      millions: [null, null, '赔偿2,468,135元'],
      inTitle: [null, '欠薪12,000元', '石材厂拖欠工资'],
      list: [null, null, '第1,2,3条'],
      phoneThenAmount: [null, null, '来电13812345678，500元'],
      european: [null, null, '版本1.234,567与3,80'],
    };
    const ids: Record<string, string> = {};
    for (const [name, [title, reportTitle, content]] of Object.entries(cases)) {
      const id = randomUUID();
      ids[name] = id;
      const texts = [title, reportTitle, content].filter((text): text is string => text !== null);
      await sql.query(
        `INSERT INTO cases.cases (id, status, channel, city_code, title, search_grams, updated_at)
         VALUES ($1, 'assigned', 'hotline_12345', '350800', $2, $3, now())`,
        [id, title, writtenBefore(texts)],
      );
      await sql.query(
        `INSERT INTO cases.reports (dispute_id, case_id, channel, source_ref, received_at, content, intake)
         VALUES ($1, $2, 'hotline_12345', $3, now(), $4, $5)`,
        [randomUUID(), id, `GD-${id}`, content, JSON.stringify(reportTitle ? { title: reportTitle } : {})],
      );
    }

    const applied = await migrate(sql, { migrationsDir: casesMigrationsDir, schema: casesSchema });
    expect(applied[0]).toBe(backfill);

    // Exactly what was stored plus what the words are today: a row written now and one written
    // before answer a search alike.
    for (const [name, [title, reportTitle, content]] of Object.entries(cases)) {
      const texts = [title, reportTitle, content].filter((text): text is string => text !== null);
      const { rows } = await sql.query<{ search_grams: string[] }>(
        'SELECT search_grams FROM cases.cases WHERE id = $1',
        [ids[name]],
      );
      expect(rows[0]!.search_grams.toSorted(), name).toEqual(
        [...new Set([...writtenBefore(texts), ...searchGramsOf(texts)])].sort(),
      );
    }

    const db = casesDb({ kind: 'postgres', url: database.url });
    cleanups.push(() => db.$disconnect());
    const found = async (q: string) =>
      (
        await findCasePage(db, {
          reach: { scope: '350800' },
          filter: { q },
          sort: 'newest',
          limit: 50,
          now: new Date(),
        })
      ).rows
        .map((row) => Object.keys(ids).find((name) => ids[name] === row.id))
        .sort();
    expect(await found('3800元')).toEqual(['fullWidth', 'guo']);
    expect(await found('3,800')).toEqual(['fullWidth', 'guo']);
    expect(await found('2468135')).toEqual(['millions']);
    expect(await found('12000')).toEqual(['inTitle']);
    expect(await found('8500')).toEqual([]);
  });
});
