import { disputeIdFor } from '@huijie/contracts/ids.ts';
import type { OutgoingEvent } from '@huijie/event-bus/bus.ts';
import { describe, expect, it } from 'vitest';
import { csvRecords, importRecords, recordToEvent } from './import-records.ts';

const guo = {
  channel: '微信',
  source_ref: 'WX-20240824-0001',
  received_at: '2024-08-24 09:30',
  title: '拖欠工资',
  content: '我在新罗区江山镇维修水库大坝，干了19天，老板一直不给工钱，共3800元，请帮忙。',
  category: '劳动争议纠纷',
  division_code: '350802107',
  applicant_name: '郭某',
  applicant_phone: '13800000000',
  amount_claimed: '3,800',
};

describe('an imported record becomes a dispute.intake.v1 event', () => {
  it('through the intake contract, with the deterministic dispute id', () => {
    const outcome = recordToEvent(guo, 2);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.event.key).toBe(disputeIdFor('wechat', 'WX-20240824-0001'));
    expect(outcome.event.data).toMatchObject({
      channel: 'wechat',
      receivedAt: '2024-08-24T09:30:00+08:00',
      category: 'labor',
      location: { divisionCode: '350802107' },
      parties: [{ role: 'applicant', kind: 'person', name: '郭某', phone: '13800000000' }],
      amountClaimed: 3800,
      revision: 1,
    });
    // The same record always makes the same event.
    expect((recordToEvent({ ...guo }, 9) as typeof outcome).event.id).toBe(outcome.event.id);
  });

  it('camelCase keys and a whole contract-shaped JSON object are accepted too', () => {
    expect(
      recordToEvent(
        {
          channel: 'court',
          sourceRef: '（2024）闽0803民诉前调123号',
          receivedAt: '2024-08-01',
          content: '合同纠纷',
        },
        1,
      ).ok,
    ).toBe(true);
    const shaped = {
      channel: 'hotline_12345',
      sourceRef: 'GD-1',
      receivedAt: '2024-08-01T08:00:00+08:00',
      content: '邻里纠纷',
      location: { address: '永定区下洋镇' },
      parties: [],
    };
    expect(recordToEvent(shaped, 1).ok).toBe(true);
    expect(recordToEvent({ ...shaped, disputeId: '00000000-0000-4000-8000-000000000000' }, 3)).toEqual({
      ok: false,
      rejects: [{ line: 3, field: 'disputeId', reason: expect.stringContaining('deterministic id') }],
    });
  });

  it('every record is marked historical; one that says how it ended carries its outcome and end', () => {
    const open = recordToEvent(guo, 2);
    expect(open.ok && open.event.data).toMatchObject({ historical: {} });
    const ended = recordToEvent(
      {
        ...guo,
        outcome: '调解成功',
        ended_at: '2024-09-03 16:00',
        outcome_summary: '老板当场支付3800元',
        outcome_amount: '3,800',
      },
      2,
    );
    expect(ended.ok && ended.event.data).toMatchObject({
      historical: {
        outcome: { kind: 'mediated', summary: '老板当场支付3800元', amount: 3800 },
        endedAt: '2024-09-03T16:00:00+08:00',
      },
    });
    const failed = recordToEvent(
      { ...guo, outcome: 'not_mediated', referred_to: '仲裁', ended_at: '2024-09-10' },
      2,
    );
    expect(failed.ok && failed.event.data).toMatchObject({
      historical: { outcome: { kind: 'not_mediated', referredTo: 'arbitration' } },
    });
  });

  it('dates as Chinese spreadsheets write them are China time; a date that is none is refused', () => {
    const receivedAt = (text: string) => {
      const outcome = recordToEvent({ ...guo, received_at: text }, 2);
      return outcome.ok ? outcome.event.data.receivedAt : outcome.rejects;
    };
    // What Excel on a Chinese Windows writes into a CSV, and the other usual spellings.
    expect(receivedAt('2024/8/24 9:30')).toBe('2024-08-24T09:30:00+08:00');
    expect(receivedAt('2024/8/24')).toBe('2024-08-24T00:00:00+08:00');
    expect(receivedAt('2024-8-24 09:30:05')).toBe('2024-08-24T09:30:05+08:00');
    expect(receivedAt('2024.08.24')).toBe('2024-08-24T00:00:00+08:00');
    expect(receivedAt('2024年8月24日')).toBe('2024-08-24T00:00:00+08:00');
    expect(receivedAt('2024年8月24日 9时30分')).toBe('2024-08-24T09:30:00+08:00');
    // An Excel date serial: 45528 is 2024-08-24, .5 is noon.
    expect(receivedAt('45528.5')).toBe('2024-08-24T12:00:00+08:00');
    expect(receivedAt('2024-08-24T01:30:00Z')).toBe('2024-08-24T01:30:00Z');
    for (const wrong of ['2024/13/24', '2024/2/30', '2024-8/24', '24/8/2024', '2024年8月']) {
      expect(receivedAt(wrong), wrong).toEqual([expect.objectContaining({ line: 2, field: 'received_at' })]);
    }
    const ended = recordToEvent({ ...guo, outcome: '调解成功', ended_at: '2024/9/1 16:00' }, 2);
    expect(ended.ok && ended.event.data.historical).toMatchObject({ endedAt: '2024-09-01T16:00:00+08:00' });
  });

  it('an outcome without its end, an end before the report, an unknown outcome: each names its column', () => {
    const rejectsOf = (extra: Record<string, string>) => {
      const outcome = recordToEvent({ ...guo, ...extra }, 4);
      return outcome.ok ? [] : outcome.rejects.map((reject) => reject.field);
    };
    expect(rejectsOf({ outcome: 'mediated' })).toEqual(['ended_at']);
    expect(rejectsOf({ ended_at: '2024-09-01' })).toEqual(['outcome']);
    expect(rejectsOf({ outcome: 'mediated', ended_at: '2024-08-01' })).toEqual(['ended_at']);
    expect(rejectsOf({ outcome: '和好', ended_at: '2024-09-01' })).toEqual(['outcome']);
    expect(rejectsOf({ outcome: 'mediated', ended_at: '2024-09-01', outcome_amount: 'lots' })).toEqual([
      'outcome_amount',
    ]);
    // More than a case can keep: refused on its line, not a record that fails in the cases service.
    expect(
      rejectsOf({ outcome: 'mediated', ended_at: '2024-09-01', outcome_amount: '38000000000000' }),
    ).toEqual(['outcome_amount']);
  });

  it("a party's mobile is kept as its 11 digits, however the spreadsheet wrote it: repeats are found by it", () => {
    for (const written of ['138 0000 0000', '+86 138-0000-0000', '１３８００００００００']) {
      const outcome = recordToEvent({ ...guo, applicant_phone: written }, 2);
      expect(outcome.ok && outcome.event.data.parties[0]?.phone).toBe('13800000000');
    }
    const landline = recordToEvent({ ...guo, applicant_phone: '0597-2345678' }, 2);
    expect(landline.ok && landline.event.data.parties[0]?.phone).toBe('0597-2345678');
  });

  it('names the line, the column and the reason of every problem', () => {
    const outcome = recordToEvent(
      {
        channel: 'fax',
        source_ref: '',
        received_at: 'yesterday',
        content: '',
        division_code: '3508',
        applicant_phone: '1',
      },
      7,
    );
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const fields = outcome.rejects.map((reject) => reject.field).sort();
    expect(fields).toEqual([
      'applicant_phone',
      'channel',
      'content',
      'division_code',
      'received_at',
      'source_ref',
    ]);
    expect(outcome.rejects.every((reject) => reject.line === 7 && reject.reason.length > 0)).toBe(true);
  });

  it('a court case number in any spelling is the dispute the court intake makes of it', async () => {
    const referral = { channel: '法院', received_at: '2024-05-06', content: '民间借贷纠纷' };
    const canonical = '（2024）闽0803民诉前调123号';
    const spellings = [
      '(2024)闽0803民诉前调123号',
      '〔2024〕闽0803民诉前调0123号',
      '（２０２４） 闽0803 民诉前调123号',
    ];
    for (const spelling of spellings) {
      const outcome = recordToEvent({ ...referral, source_ref: spelling }, 2);
      expect(outcome.ok && outcome.event.data.sourceRef, spelling).toBe(canonical);
      expect(outcome.ok && outcome.event.key, spelling).toBe(disputeIdFor('court', canonical));
    }
    // A number the court intake does not read (before 2016) is kept as written.
    const old = recordToEvent({ ...referral, source_ref: '(2015)岩民初字第12号' }, 2);
    expect(old.ok && old.event.data.sourceRef).toBe('(2015)岩民初字第12号');

    const summary = await importRecords(
      (async function* () {
        for (const [i, spelling] of spellings.entries())
          yield { line: i + 2, raw: { ...referral, source_ref: spelling } };
      })(),
      { publish: async () => {} },
    );
    expect(summary).toMatchObject({ published: 1, rejected: 2 });
  });

  it('a file: bad rows and a repeated source reference are rejected, the rest published in batches', async () => {
    const csv = [
      'channel,source_ref,received_at,content,category',
      'hotline_12345,GD-1,2024-08-01 08:00,"邻居噪音扰民，多次沟通无果",neighborhood',
      'hotline_12345,GD-2,not a date,"工资",labor',
      'hotline_12345,GD-1,2024-08-02 08:00,"同一工单再次导入",neighborhood',
      'wechat,WX-9,2024-08-03,"拖欠工资",unknown_category',
      'court,（2024）闽0802民诉前调7号,2024-08-04,"买卖合同纠纷",contract,extra',
      'court,（2024）闽0802民诉前调8号,2024-08-04,"买卖合同纠纷",contract',
    ].join('\n');
    const batches: number[] = [];
    const summary = await importRecords(
      csvRecords(
        (async function* () {
          yield csv;
        })(),
      ),
      { batchSize: 1, publish: async (events) => void batches.push(events.length) },
    );
    expect(summary).toMatchObject({ records: 6, published: 2, rejected: 4 });
    expect(summary.rejects.map((r) => [r.line, r.field])).toEqual([
      [3, 'received_at'],
      [4, 'source_ref'],
      [5, 'category'],
      [6, '(record)'],
    ]);
    expect(summary.rejects[1]!.reason).toContain('line 2');
    expect(batches).toEqual([1, 1]);
  });

  it('amounts as operators typed them are read as routing reads them; what is no amount is refused per line', async () => {
    const csv = [
      'channel,source_ref,received_at,content,amount_claimed,outcome,ended_at,outcome_amount',
      'wechat,WX-1,2024-08-24,拖欠工资,3，800,调解成功,2024-09-03,叁仟捌佰元整',
      'wechat,WX-2,2024-08-24,借款纠纷,3万,,,',
      'wechat,WX-3,2024-08-24,工程款,"1,200,000",调解成功,2024-09-03,3800元5角',
      'wechat,WX-4,2024-08-24,拖欠工资,未知,,,',
      'wechat,WX-5,2024-08-24,拖欠工资,3800,调解成功,2024-09-03,很多',
    ].join('\n');
    const published: { claimed?: number; agreed?: number }[] = [];
    const summary = await importRecords(
      csvRecords(
        (async function* () {
          yield csv;
        })(),
      ),
      {
        publish: async (events) => {
          for (const { data } of events as OutgoingEvent<'dispute.intake.v1'>[]) {
            published.push({ claimed: data.amountClaimed, agreed: data.historical?.outcome?.amount });
          }
        },
      },
    );
    expect(published).toEqual([
      { claimed: 3800, agreed: 3800 },
      { claimed: 30000, agreed: undefined },
      { claimed: 1_200_000, agreed: 3800.5 },
    ]);
    expect(summary.rejects).toEqual([
      { line: 5, field: 'amount_claimed', reason: expect.stringContaining('not an amount of yuan: "未知"') },
      { line: 6, field: 'outcome_amount', reason: expect.stringContaining('not an amount of yuan: "很多"') },
    ]);
  });

  it('a quote opened and never closed is a reject, not the rest of the file read into one record', async () => {
    // A hand-edited file: the content of line 3 begins with a quote that is never closed. The rows
    // after it must not vanish into that field while the import reports success.
    const csv = [
      'channel,source_ref,received_at,content',
      'hotline_12345,GD-1,2024-08-01,欠薪',
      'hotline_12345,GD-2,2024-08-02,"老板说不给钱',
      'hotline_12345,GD-3,2024-08-03,欠薪',
      'hotline_12345,GD-4,2024-08-04,欠薪',
      '',
    ].join('\r\n');
    const published: string[] = [];
    const summary = await importRecords(
      csvRecords(
        (async function* () {
          yield csv;
        })(),
      ),
      { publish: async (events) => void published.push(...events.map((e) => e.key)) },
    );
    expect(published).toEqual([disputeIdFor('hotline_12345', 'GD-1')]);
    expect(summary).toMatchObject({ records: 2, published: 1, rejected: 1 });
    expect(summary.rejects).toEqual([
      { line: 3, field: '(record)', reason: expect.stringContaining('never closed') },
    ]);
  });
});
