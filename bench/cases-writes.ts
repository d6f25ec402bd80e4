/**
 * The cases write side as live traffic loads it: disputes of today, recorded by concurrent
 * writers each event in its own transaction (as several replicas of the cases service, or one
 * under light load, record them): the intake opens the case, routing's decision assigns it.
 * Every case of a day shares statistics rows, so this is where writers would queue on one another.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/cases-writes.ts \
 *     [--writers=8] [--cases=100] [--rounds=3]
 *
 * Each round has a fresh database. The baseline of the same round: the same writers making the
 * same number of transactions with raw `pg`, each inserting the event's JSON into a one-table
 * schema — the cheapest durable write of the same events on the same server.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { postgresClient } from '@huijie/database/sql-client.ts';
import { freshDatabase } from '@huijie/testing/servers.ts';
import pg from 'pg';
import { seedRoutedCase, towns } from '../services/cases/src/consumers/routed-case-fixtures.ts';
import { casesDb, migrateCases } from '../services/cases/src/db/prisma.ts';
import { machine, median, table } from './lib/report.ts';

const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const writers = Number(option('writers') ?? 8);
const perWriter = Number(option('cases') ?? 100);
const rounds = Number(option('rounds') ?? 3);
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const places = [towns.jiangshan, towns.xiayang];

/** Runs `one` perWriter times in each of the writers at once: cases per second and each case's latency. */
async function load(one: (i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = 0; i < perWriter; i++) {
        const t = performance.now();
        await one(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rate: latencies.length / seconds,
    p50: latencies[Math.floor(latencies.length * 0.5)]!,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
  };
}

async function round() {
  const fresh = await freshDatabase(serverUrl);
  const sql = postgresClient(fresh.url);
  const db = casesDb({ kind: 'postgres', url: fresh.url });
  const raw = new pg.Pool({ connectionString: fresh.url, max: writers });
  try {
    await migrateCases(sql);
    await raw.query('CREATE TABLE bench_events (id uuid PRIMARY KEY, body jsonb NOT NULL)');
    await seedRoutedCase(db); // connections and plans warmed
    // Two transactions per case, as the service's consumers make them.
    const baseline = await load(async () => {
      for (const step of ['intake', 'assignment']) {
        const client = await raw.connect();
        try {
          await client.query('BEGIN');
          await client.query('INSERT INTO bench_events VALUES ($1, $2)', [
            randomUUID(),
            JSON.stringify({ step, content: '江山镇水库大坝的工钱一直没有结清', at: new Date() }),
          ]);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      }
    });
    const cases = await load((i) => seedRoutedCase(db, { place: places[i % places.length]! }));
    return { cases, baseline };
  } finally {
    await raw.end();
    await db.$disconnect();
    await sql.close();
    await fresh.drop();
  }
}

console.log(`Cases write side, live traffic — ${machine()}`);
console.log(
  `${writers} concurrent writers × ${perWriter} disputes of today, each recorded as intake then assignment (a transaction each); ${rounds} rounds, a fresh database each\n`,
);
const results: Awaited<ReturnType<typeof round>>[] = [];
for (let r = 1; r <= rounds; r++) {
  const result = await round();
  results.push(result);
  console.log(
    `round ${r}: ${Math.round(result.cases.rate)} cases/s (baseline ${Math.round(result.baseline.rate)}/s)`,
  );
}
const med = (pick: (r: (typeof results)[number]) => number) => median(results.map(pick));
console.log(`\n${machine()}`);
console.log(
  table(
    ['target', 'cases/s (median)', 'p50 ms', 'p99 ms', 'ratio to baseline'],
    [
      [
        'raw pg: the same transactions, one INSERT each',
        Math.round(med((r) => r.baseline.rate)),
        med((r) => r.baseline.p50).toFixed(1),
        med((r) => r.baseline.p99).toFixed(1),
        '100 %',
      ],
      [
        'cases: intake opens, decision assigns (statistics, history, outbox)',
        Math.round(med((r) => r.cases.rate)),
        med((r) => r.cases.p50).toFixed(1),
        med((r) => r.cases.p99).toFixed(1),
        `${((med((r) => r.cases.rate) / med((r) => r.baseline.rate)) * 100).toFixed(1)} %`,
      ],
    ],
  ),
);
process.exit(0);
