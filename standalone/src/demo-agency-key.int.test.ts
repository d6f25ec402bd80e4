import { seedRoutedCase } from '@huijie/cases/consumers/routed-case-fixtures.ts';
import { freshCasesDb } from '@huijie/cases/db/fresh-cases-db.ts';
import { casesAppOnKafka } from '@huijie/cases/http/api-fixtures.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import { describe, expect, it } from 'vitest';
import { demo } from './config.ts';
import { seedDemoAgencyKey } from './platform.ts';

const servers = await requireServers('postgres', 'kafka');

describe.runIf(servers)('the demo agency key npm start prints', () => {
  it("is 江山镇司法所's x-api-key: it finds a 江山镇 case; starting again keeps one key", async () => {
    const { db, drop } = await freshCasesDb(servers!.databaseUrl!);
    const app = await casesAppOnKafka(db, servers!.kafkaBrokers!, 'demo-agency-key');
    try {
      await seedDemoAgencyKey(db);
      await seedDemoAgencyKey(db);
      const { caseId } = await seedRoutedCase(db);
      const worklist = await app.inject({ url: '/v1/cases', headers: { 'x-api-key': demo.agencyKey.key } });
      expect(worklist.statusCode, worklist.body).toBe(200);
      expect(worklist.json().items.map((item: { caseId: string }) => item.caseId)).toEqual([caseId]);
      expect(await db.agencyKey.findMany({ select: { departmentCode: true } })).toEqual([
        { departmentCode: '350802107-judicial_office' },
      ]);
    } finally {
      await app.close();
      await drop();
    }
  });
});
