import { describe, expect, it } from 'vitest';
import { maskRecipient, summarise } from './delivery-routes.ts';

type Row = Parameters<typeof summarise>[0][number];
const row = (recipient: string, state: string, version = 1, kind = 'assignment', role = 'co'): Row =>
  ({
    id: `${recipient}-${version}-${kind}`,
    dedupeKey: `${recipient}-${version}-${kind}`,
    kind,
    channel: 'webhook',
    recipient,
    disputeId: 'd1',
    caseId: null,
    version,
    divisionCode: '350803105',
    payload: { role },
    state,
    attempts: 1,
    nextAttemptAt: new Date(),
    leaseId: null,
    lastError: null,
    deliveredAt: state === 'delivered' ? new Date() : null,
    replays: 0,
    replayedBy: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    attemptLog: [],
  }) as Row;

describe('joint handling status', () => {
  it('is delivered only when every department of the latest version got it', () => {
    expect(
      summarise([row('psb', 'delivered', 1, 'assignment', 'lead'), row('court', 'pending')]).delivered,
    ).toBe(false);
    expect(summarise([row('psb', 'delivered'), row('court', 'failed')]).delivered).toBe(false);
    expect(summarise([row('psb', 'delivered'), row('court', 'delivered')]).delivered).toBe(true);
  });

  it('follows the latest routing version, and ignores other kinds of delivery', () => {
    const summary = summarise([
      row('court', 'failed', 1),
      row('psb', 'delivered', 2, 'assignment_update', 'lead'),
      row('court', 'delivered', 2, 'withdrawal'),
      row('sfs', 'delivered', 2),
      row('psb', 'pending', 2, 'sla_reminder'),
    ]);
    expect(summary.delivered).toBe(true);
    expect(summary.assignments).toEqual([
      expect.objectContaining({
        version: 2,
        delivered: true,
        recipients: [
          expect.objectContaining({ department: 'psb', role: 'lead' }),
          expect.objectContaining({ department: 'sfs', role: 'co' }),
        ],
      }),
    ]);
    expect(summary.deliveries).toHaveLength(5);
  });

  it('nothing assigned is not "delivered"', () => {
    expect(summarise([]).delivered).toBe(false);
  });
});

describe('recipients shown to operators', () => {
  it('masks phone numbers and OpenIDs, not department codes', () => {
    expect(maskRecipient('sms', '13900000077')).toBe('139****0077');
    expect(maskRecipient('wechat', 'oAPPLICANT0000000000000001')).toBe('oAPP…0001');
    expect(maskRecipient('webhook', '350803-psb')).toBe('350803-psb');
  });
});
