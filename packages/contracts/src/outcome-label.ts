import type { CaseOutcome } from './events/case-status-v1.ts';

const referredToLabels = {
  litigation: '引导诉讼',
  arbitration: '引导仲裁',
  other: '引导其他途径解决',
} as const satisfies Record<NonNullable<CaseOutcome['referredTo']>, string>;

/**
 * The outcome in a few words, for a citizen's SMS, the hotline's 办结反馈 and what a department is
 * told of the case's end (its webhook's `case_result`, its `ended` notice on Kafka): one wording,
 * whoever is told.
 */
export function outcomeLabel(outcome: CaseOutcome): string {
  switch (outcome.kind) {
    case 'mediated':
      return outcome.amount !== undefined ? `调解成功，涉及金额${formatYuan(outcome.amount)}元` : '调解成功';
    case 'not_mediated':
      return outcome.referredTo ? `调解未成功，已${referredToLabels[outcome.referredTo]}` : '调解未成功';
    case 'withdrawn':
      return '申请人撤回';
    default: {
      const unknown: never = outcome.kind;
      throw new Error(`no label for outcome ${String(unknown)}`);
    }
  }
}

function formatYuan(amount: number): string {
  return Number.isInteger(amount) ? String(amount) : amount.toFixed(2);
}
