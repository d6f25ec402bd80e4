import { randomUUID } from 'node:crypto';
import { postgresClient } from '@huijie/database/sql-client.ts';
import { createEventBus } from '@huijie/event-bus/bus.ts';
import { createEmbeddedEngine } from '@huijie/event-bus/embedded/embedded-engine.ts';
import { signToken } from '@huijie/service-kit/auth-token.ts';
import { startConsuming } from '@huijie/service-kit/http-app.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { freshDatabase } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { buildCasesApp, type CasesSettings } from '../app.ts';
import { type CasesDb, casesDb, migrateCases } from '../db/prisma.ts';
import { jurisdictions } from '../domain/divisions.ts';
import { searchGramsOf } from './bigrams.ts';

/**
 * Cases written straight into the tables, as the write side leaves them (with the department
 * index applyCaseChanges keeps), for the read side's integration tests: every field a search or a
 * statistic reads, nothing else. The statistics are then counted with rebuildCaseStats.
 */
export interface CaseSpec {
  id?: string;
  status?: string;
  category?: string | null;
  severity?: string;
  channel?: string;
  county?: string | null;
  town?: string | null;
  village?: string | null;
  names?: readonly string[];
  title?: string | null;
  content?: string;
  expressLevel?: string | null;
  dueAt?: Date | null;
  repeatCount?: number;
  mergedIntoId?: string | null;
  outcomeKind?: string | null;
  outcomeAmount?: number | null;
  resolvedAt?: Date | null;
  closedAt?: Date | null;
  createdAt: Date;
  departments?: { code: string; kind: string; name: string; role?: string; status?: string }[];
}

export const towns = {
  jiangshan: { county: '350802', town: '350802107', names: ['龙岩市', '新罗区', '江山镇'] },
  hongfang: { county: '350802', town: '350802100', names: ['龙岩市', '新罗区', '红坊镇'] },
  xiayang: { county: '350803', town: '350803102', names: ['龙岩市', '永定区', '下洋镇'] },
  kanshi: { county: '350803', town: '350803101', names: ['龙岩市', '永定区', '坎市镇'] },
  tingzhou: { county: '350821', town: '350821100', names: ['龙岩市', '长汀县', '汀州镇'] },
} as const;

export async function insertCases(db: CasesDb, specs: CaseSpec[]): Promise<string[]> {
  const ids = specs.map((spec) => spec.id ?? randomUUID());
  await db.case.createMany({
    data: specs.map((spec, i) => {
      const placed = spec.county !== undefined && spec.county !== null;
      return {
        id: ids[i]!,
        status: spec.status ?? 'assigned',
        category: spec.category === undefined ? 'labor' : spec.category,
        severity: spec.severity ?? 'normal',
        cityCode: placed ? '350800' : null,
        countyCode: spec.county ?? null,
        townCode: spec.town ?? null,
        villageCode: spec.village ?? null,
        placeNames: [...(spec.names ?? [])],
        channel: spec.channel ?? 'hotline_12345',
        title: spec.title ?? null,
        expressLevel: spec.expressLevel ?? null,
        dueAt: spec.dueAt ?? null,
        repeatCount: spec.repeatCount ?? 0,
        mergedIntoId: spec.mergedIntoId ?? null,
        outcomeKind: spec.outcomeKind ?? null,
        outcomeAmount: spec.outcomeAmount ?? null,
        resolvedAt: spec.resolvedAt ?? null,
        closedAt: spec.closedAt ?? null,
        searchGrams: searchGramsOf([spec.title, spec.content]),
        createdAt: spec.createdAt,
      };
    }),
  });
  const assignments = specs.flatMap((spec, i) =>
    (spec.departments ?? []).map((department, j) => ({
      caseId: ids[i]!,
      departmentCode: department.code,
      departmentKind: department.kind,
      departmentName: department.name,
      divisionCode: spec.town ?? spec.county ?? '350800',
      role: department.role ?? (j === 0 ? 'lead' : 'co'),
      status: department.status ?? 'delivered',
      routingVersion: 1,
      dueAt: spec.dueAt ?? spec.createdAt,
    })),
  );
  if (assignments.length > 0) await db.assignment.createMany({ data: assignments });
  // What applyCaseChanges keeps for the search's department filter.
  const live = specs.flatMap((spec, i) =>
    (spec.departments ?? [])
      .filter((department) => (department.status ?? 'delivered') !== 'withdrawn')
      .map((department) => ({ departmentCode: department.code, createdAt: spec.createdAt, caseId: ids[i]! })),
  );
  if (live.length > 0) await db.departmentCase.createMany({ data: live, skipDuplicates: true });
  return ids;
}

/** A fresh, migrated database and the whole cases app on it (embedded event log, same database). */
export async function readSideApp(
  serverUrl: string,
  settings: Omit<CasesSettings, 'jwtSecret'> = {},
): Promise<{
  db: CasesDb;
  app: FastifyInstance;
  url: string;
  tokenFor: (scope: string) => string;
  close: () => Promise<void>;
}> {
  const database = await freshDatabase(serverUrl);
  const sql = postgresClient(database.url, { max: 2 });
  await migrateCases(sql);
  const db = casesDb({ kind: 'postgres', url: database.url });
  const jwtSecret = 'read-side-test-secret-0123456789abcdef';
  const app = buildCasesApp(
    { jwtSecret, ...settings },
    {
      db,
      bus: createEventBus(createEmbeddedEngine(sql), { source: '/test' }),
      logger: createLogger({ service: 'test', level: 'silent' }),
      metrics: createMetrics('test'),
    },
  );
  await startConsuming(app);
  // A token is good while its operator is as it was issued to (http/auth.ts): tokenFor's, one per jurisdiction.
  await db.operator.createMany({
    data: [...jurisdictions().keys()].map((scope) => ({
      username: `op-${scope}`,
      passwordHash: 'no sign-in',
      role: 'operator',
      scopeCode: scope,
    })),
    skipDuplicates: true,
  });
  return {
    db,
    app,
    url: database.url,
    tokenFor: (scope) => `Bearer ${signToken({ sub: `op-${scope}`, role: 'operator', scope }, jwtSecret)}`,
    close: async () => {
      await app.close();
      await db.$disconnect();
      await sql.close();
      await database.drop();
    },
  };
}
