import { describe, expect, it } from 'vitest';
import { asSent, chineseDate, outcomeLabel, renderNotice } from './notices.ts';

describe('notices', () => {
  it('render the Chinese texts with their parameters', () => {
    expect(
      renderNotice(
        {
          notice: 'accepted',
          params: { ref: 'GD20240824001', department: '江山镇司法所', dueDate: '2024年9月3日' },
        },
        new Date('2024-08-24T10:00:00+08:00'),
      ),
    ).toBe(
      '您反映的矛盾纠纷（编号GD20240824001）已受理，由江山镇司法所负责办理，预计2024年9月3日前办结，请保持电话畅通。',
    );
    expect(renderNotice({ notice: 'result', params: { ref: 'WX2345', result: '调解成功' } })).toBe(
      '您反映的矛盾纠纷（编号WX2345）已办结，结果：调解成功。感谢您的支持。',
    );
    expect(
      renderNotice({
        notice: 'escalation',
        params: {
          place: '龙岩市永定区下洋镇',
          category: '损害赔偿',
          level: '市委书记',
          reason: '重大疑难',
          caseRef: 'e0e7bbb5',
        },
      }),
    ).toBe(
      '书记直通车：龙岩市永定区下洋镇一件损害赔偿纠纷已提级至市委书记（重大疑难），案件编号e0e7bbb5，请及时督办。',
    );
  });

  it('an acceptance promises its date only while it is ahead: once past (an order that came in overdue, a notice sent late), it says as soon as possible', () => {
    const accepted = {
      notice: 'accepted' as const,
      params: { ref: 'GD20261130001', department: '江山镇司法所', dueDate: '2026年11月27日' },
      dueAt: '2026-11-27T09:00:00+08:00',
    };
    expect(renderNotice(accepted, new Date('2026-11-26T09:00:00+08:00'))).toBe(
      '您反映的矛盾纠纷（编号GD20261130001）已受理，由江山镇司法所负责办理，预计2026年11月27日前办结，请保持电话畅通。',
    );
    const late = new Date('2026-11-30T10:00:00+08:00');
    expect(renderNotice(accepted, late)).toBe(
      '您反映的矛盾纠纷（编号GD20261130001）已受理，由江山镇司法所负责办理，将尽快办结，请保持电话畅通。',
    );
    // The SMS template parameters and WeChat data go without the date; the instant is never sent.
    expect(asSent(accepted, late)).toEqual({
      notice: 'accepted',
      params: { ref: 'GD20261130001', department: '江山镇司法所' },
    });
    expect(asSent(accepted, new Date('2026-11-27T08:59:00+08:00'))).toEqual({
      notice: 'accepted',
      params: accepted.params,
    });
    // A notice recorded before the instant was kept: past once the day it names is over, in China.
    const { dueAt: _, ...recorded } = accepted;
    expect(asSent(recorded, new Date('2026-11-27T23:59:00+08:00')).params.dueDate).toBe('2026年11月27日');
    expect(asSent(recorded, new Date('2026-11-28T00:00:00+08:00')).params.dueDate).toBeUndefined();
  });

  it('say how a case ended in a few words', () => {
    expect(outcomeLabel({ kind: 'mediated', amount: 3800 })).toBe('调解成功，涉及金额3800元');
    expect(outcomeLabel({ kind: 'mediated', amount: 12.5 })).toBe('调解成功，涉及金额12.50元');
    expect(outcomeLabel({ kind: 'mediated' })).toBe('调解成功');
    expect(outcomeLabel({ kind: 'not_mediated', referredTo: 'litigation' })).toBe('调解未成功，已引导诉讼');
    expect(outcomeLabel({ kind: 'not_mediated' })).toBe('调解未成功');
    expect(outcomeLabel({ kind: 'withdrawn' })).toBe('申请人撤回');
  });

  it('write dates in China time', () => {
    expect(chineseDate('2024-09-02T16:00:00Z')).toBe('2024年9月3日');
    expect(chineseDate('2024-08-24T09:30:00+08:00')).toBe('2024年8月24日');
  });
});
