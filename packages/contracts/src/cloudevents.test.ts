import { describe, expect, it } from 'vitest';
import { fromHeaders, toHeaders } from './cloudevents.ts';

describe('CloudEvents binary mode headers', () => {
  it('round-trips the attributes', () => {
    const attrs = {
      id: 'e1',
      type: 'cn.huijie.dispute.intake.v1',
      source: '/huijie/ingest-12345',
      time: '2024-08-24T09:00:00+08:00',
      correlationId: 'c1',
    };
    const headers = toHeaders(attrs);
    expect(headers['ce_specversion']).toBe('1.0');
    expect(fromHeaders(headers)).toEqual({ ok: true, attrs });
  });

  it('names the missing header', () => {
    const headers = toHeaders({ id: 'e1', type: 't', source: 's', time: 'now' });
    delete headers['ce_type'];
    expect(fromHeaders(headers)).toEqual({ ok: false, problem: { field: 'ce_type', reason: 'missing' } });
  });
});
