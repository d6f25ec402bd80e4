import type { CaseEscalatedV1 } from '@huijie/contracts/events/case-escalation-v1.ts';
import type { CategoryCode, Level } from '@huijie/contracts/vocabulary.ts';

/**
 * Messages to people (citizens by SMS or WeChat, secretaries on the express lane by SMS). The
 * delivery keeps the notice and its parameters; the text is rendered when it is sent, so the
 * SMS gateway, the WeChat adapter and the standalone outbox all say the same thing.
 */
export type Notice = 'accepted' | 'result' | 'escalation';
export const notices: readonly Notice[] = ['accepted', 'result', 'escalation'];

export interface NoticePayload {
  notice: Notice;
  params: Record<string, string>;
  /**
   * `accepted`: the instant `params.dueDate` names (the handler's deadline). Once it has passed —
   * an order that came in overdue, a notice retried or replayed late — the notice promises no
   * date (`asSent`). Kept with the delivery, never sent.
   */
  dueAt?: string;
}

export function isNoticePayload(value: unknown): value is NoticePayload {
  const candidate = value as Partial<NoticePayload> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.notice === 'string' &&
    (notices as readonly string[]).includes(candidate.notice) &&
    typeof candidate.params === 'object' &&
    candidate.params !== null
  );
}

const param = (params: Record<string, string>, name: string) => params[name] ?? '';

/**
 * When the date an acceptance promises is past: its `dueAt`; for a notice recorded before that
 * was kept, the end of the day `dueDate` names, in China time.
 */
function promisedUntil({ params, dueAt }: NoticePayload): number | undefined {
  if (dueAt) return Date.parse(dueAt);
  const day = /^(\d{4})年(\d{1,2})月(\d{1,2})日$/.exec(params.dueDate ?? '');
  return day ? Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]) + 1) - 8 * 3600_000 : undefined;
}

/**
 * The notice as it goes out at `now` (text, SMS template parameters, WeChat template data): an
 * acceptance whose expected date has passed promises none — no `dueDate`, and its text says the
 * matter will be dealt with as soon as possible.
 */
export function asSent(payload: NoticePayload, now: Date): NoticePayload {
  const { notice, params } = payload;
  if (notice !== 'accepted' || params.dueDate === undefined) return { notice, params };
  const until = promisedUntil(payload);
  if (until === undefined || until > now.getTime()) return { notice, params };
  const { dueDate: _past, ...rest } = params;
  return { notice, params: rest };
}

/** The Chinese text of each notice as sent at `now` (the gateway adds the 【signature】 in front). */
export function renderNotice(payload: NoticePayload, now = new Date()): string {
  const { notice, params } = asSent(payload, now);
  const p = (name: string) => param(params, name);
  switch (notice) {
    case 'accepted':
      return params.dueDate
        ? `您反映的矛盾纠纷（编号${p('ref')}）已受理，由${p('department')}负责办理，预计${p('dueDate')}前办结，请保持电话畅通。`
        : `您反映的矛盾纠纷（编号${p('ref')}）已受理，由${p('department')}负责办理，将尽快办结，请保持电话畅通。`;
    case 'result':
      return `您反映的矛盾纠纷（编号${p('ref')}）已办结，结果：${p('result')}。感谢您的支持。`;
    case 'escalation':
      return `书记直通车：${p('place')}一件${p('category')}纠纷已提级至${p('level')}（${p('reason')}），案件编号${p('caseRef')}，请及时督办。`;
    default: {
      const unknown: never = notice;
      throw new Error(`no text for notice ${String(unknown)}`);
    }
  }
}

export const categoryLabels = {
  marriage_family: '婚姻家庭',
  neighborhood: '邻里',
  housing_homestead: '房屋宅基地',
  contract: '合同',
  business: '生产经营',
  damages: '损害赔偿',
  land_forest: '山林土地',
  land_acquisition: '征地拆迁',
  environment: '环境污染',
  labor: '劳动争议',
  consumer: '消费',
  medical: '医疗',
  traffic: '道路交通',
  property_mgmt: '物业管理',
  other: '其他',
} as const satisfies Record<CategoryCode, string>;

export const levelLabels = {
  township: '乡镇（街道）党委书记',
  county: '县（市、区）委书记',
  city: '市委书记',
} as const satisfies Record<Level, string>;

export const escalationReasonLabels = {
  major: '重大疑难',
  overdue: '超期未办结',
  repeated: '重复反映',
  manual: '人工提级',
} as const satisfies Record<CaseEscalatedV1['reason'], string>;

// Moved to contracts: a department's `ended` notice on Kafka (cases) says the same words.
export { outcomeLabel } from '@huijie/contracts/outcome-label.ts';

/** A date as Chinese notices write it, in China's time zone (UTC+8, no daylight saving). */
export function chineseDate(iso: string): string {
  const local = new Date(new Date(iso).getTime() + 8 * 3600_000);
  return `${local.getUTCFullYear()}年${local.getUTCMonth() + 1}月${local.getUTCDate()}日`;
}
