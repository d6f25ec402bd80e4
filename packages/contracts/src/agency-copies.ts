import type { AgencyAssignmentV1 } from './events/agency-assignment-v1.ts';
import type { Confidentiality } from './events/case-status-v1.ts';
import type { Department, DisputeAssignedV1 } from './events/dispute-assignment-v1.ts';
import type { DisputeReceivedV1, Party } from './events/dispute-intake-v1.ts';
import { maskPersonalNumbers, type NumberMasks } from './personal-numbers.ts';
import { type CategoryCode, type Level, mostSpecificDivision, type Severity } from './vocabulary.ts';
import type { AssignmentWebhookData } from './webhooks/agency-webhook.ts';

/** A department's part in a matter. */
export type Involvement = { department: Department; role: 'lead' | 'co' };

/**
 * What the agencies' copies say of one version of a matter. Routing's decision gives it
 * (`matterOfDecision`); so does a case the cases service keeps (its assignments, place and first
 * report), which has no decision at hand when an operator merges it.
 */
export type AgencyMatter = {
  disputeId: string;
  version: number;
  /** The lead first, each with its role. */
  involved: Involvement[];
  category: CategoryCode;
  severity: Severity;
  place: AgencyAssignmentV1['place'];
  expressLane: Level | null;
  /** The report the matter is known by: what the copies quote, and who the lead calls back. */
  report: Pick<DisputeReceivedV1, 'channel' | 'receivedAt' | 'title' | 'content' | 'parties'>;
};

/** The departments a decision involves, the lead first, each with its role. */
export function involvedIn(decision: DisputeAssignedV1): Involvement[] {
  return [
    ...(decision.lead ? [{ department: decision.lead, role: 'lead' as const }] : []),
    ...decision.coHandlers.map((department) => ({ department, role: 'co' as const })),
  ];
}

/** The matter as a routing decision has it. */
export function matterOfDecision(decision: DisputeAssignedV1): AgencyMatter {
  const { dispute, jurisdiction } = decision;
  return {
    disputeId: decision.disputeId,
    version: decision.version,
    involved: involvedIn(decision),
    category: decision.category,
    severity: decision.severity,
    place: {
      divisionCode: mostSpecificDivision(jurisdiction),
      names: jurisdiction.names,
    },
    expressLane: decision.expressLane?.level ?? null,
    report: dispute,
  };
}

/**
 * How a copy's `title` and `content` name what hotline operators and citizens type into them that
 * no department may read: the numbers (the caller's phone, the ID numbers of the parties) and the
 * name of a party who asked for confidentiality (12345 保密). No department is given an ID-card
 * number, a mobile only the lead may see (`mobilesFor`), and a confidential party's name nobody,
 * the lead included (it calls back through `contact`, which leaves that party out). Replaced by
 * what they were, not by a part of them: `350802********1234` or `郭**` still tells a town who it
 * is, and the one who needs the number or the name asks the platform, which keeps it. Published
 * in the copies' field descriptions and the README.
 */
export const agencyMasks = { idCard: '[身份证号]', mobile: '[手机号]', name: '[保密当事人]' } as const;

/** The names `agencyText` masks shorter than this many characters are left alone. */
const shortestMaskedName = 2;

/**
 * The names of `parties` no department may read in a report's text (`agencyText`): those of the
 * parties who asked for confidentiality (12345 保密), trimmed, each once. A name of one character
 * is left out: it would mask ordinary words all over the text (and no one is named by it alone).
 */
export function confidentialNames(
  parties: readonly { name?: string | null | undefined; confidential?: boolean | undefined }[],
): string[] {
  const names = parties.flatMap((party) => (party.confidential && party.name ? [party.name.trim()] : []));
  return [...new Set(names.filter((name) => Array.from(name).length >= shortestMaskedName))];
}

/**
 * A report's text as a department's copy carries it: every occurrence of a confidential party's
 * name (`confidentialNames`) masked, as ID-card numbers are, for everyone; mobile numbers too unless
 * `mobiles` is `kept` (`mobilesFor`). The cases API masks a case's title and reports with it for an
 * agency that reads them, so the copy and the read say the same.
 */
export function agencyText(text: string, mobiles: 'kept' | 'masked', names: readonly string[]): string {
  const masks: NumberMasks = {
    idCard: agencyMasks.idCard,
    mobile: mobiles === 'kept' ? null : agencyMasks.mobile,
  };
  return maskPersonalNumbers(maskNames(text, names), masks);
}

/**
 * `text` with each occurrence of one of `names` replaced by `agencyMasks.name`: the name as
 * given, and as a Chinese keyboard may type its Latin letters, digits and signs, in full or half
 * width (Ｗａｎｇ for Wang, 3Ｍ公司 for 3M公司; the width NFKC folds, as the numbers are read in
 * either). Nothing looser: a name is masked where it is written as given, not where it is
 * misspelt, spaced out or abbreviated. The longer of two names one inside the other is masked
 * whole.
 */
function maskNames(text: string, names: readonly string[]): string {
  if (names.length === 0) return text;
  const alternatives = [...names]
    .sort((a, b) => b.length - a.length)
    .map((name) => Array.from(name, eitherWidth).join(''));
  return text.replace(new RegExp(alternatives.join('|'), 'g'), agencyMasks.name);
}

/** A pattern for one character of a name: itself, or either width of it when it has two. */
function eitherWidth(char: string): string {
  const code = char.codePointAt(0)!;
  const half = code === 0x3000 ? 0x20 : code >= 0xff01 && code <= 0xff5e ? code - 0xfee0 : code;
  if (half < 0x20 || half > 0x7e) return char;
  const full = half === 0x20 ? 0x3000 : half + 0xfee0;
  return `[${escaped(half)}${escaped(full)}]`;
}

const escaped = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;

/**
 * Whether a department may read the mobile numbers typed into a report: the lead, who calls the
 * citizen back, unless someone in it asked for confidentiality (12345 保密). The text cannot tell
 * whose number it quotes, so one confidential party hides them all; the lead then calls back
 * through `contact`, which leaves that party out.
 */
export function mobilesFor(
  role: Involvement['role'] | null,
  parties: readonly Pick<Party, 'confidential'>[],
): 'kept' | 'masked' {
  return role === 'lead' && !parties.some((party) => party.confidential) ? 'kept' : 'masked';
}

/** Who is given words the platform's people wrote about a matter (`outsideText`). */
export type OutsideReader = Involvement['role'] | 'court' | 'hotline';

/**
 * Words the platform's people wrote about a matter (an outcome's summary: what was agreed, or why
 * not) as a receiver outside the platform is given them. A department, by its role, as its copies
 * quote the report (`agencyText`: no ID-card number, no confidential party's name, a mobile only
 * for the lead of a matter where nobody asked for confidentiality). The referring court as a
 * department that does not lead (it is one). The 12345 hotline with its ID-card numbers alone
 * masked: it holds its callers' names and numbers, and their 保密 is its own to keep (README,
 * Confidential callers: the answer back to the hotline keeps them). `confidentiality` unknown (an
 * event from before it was carried) masks every mobile, the lead's too.
 */
export function outsideText(
  text: string,
  reader: OutsideReader,
  confidentiality: Confidentiality | undefined,
): string {
  if (reader === 'hotline') return maskPersonalNumbers(text, { idCard: agencyMasks.idCard, mobile: null });
  const { asked, names } = confidentiality ?? { asked: true, names: [] };
  return agencyText(text, mobilesFor(reader === 'lead' ? 'lead' : 'co', [{ confidential: asked }]), names);
}

/**
 * What one department's copy of a matter says of it, whatever it is told to do with it
 * (`action`, `role`): routing assigns and withdraws with it, the cases service withdraws the
 * copies of a case folded into another. The contact is the caller's to add, for the lead. The
 * report's text has its ID-card and mobile numbers and its confidential parties' names masked
 * (`agencyText`); `mobiles: 'kept'` only for the lead's `assigned` copy (`assignedCopy`).
 */
export function agencyView(
  matter: AgencyMatter,
  department: Department,
  dueAt: string,
  mobiles: 'kept' | 'masked' = 'masked',
): Omit<AgencyAssignmentV1, 'action' | 'role'> {
  const { report } = matter;
  const names = confidentialNames(report.parties);
  return {
    disputeId: matter.disputeId,
    version: matter.version,
    department,
    partners: matter.involved
      .filter((partner) => partner.department.code !== department.code)
      .map(({ department: partner, role }) => ({ code: partner.code, name: partner.name, role })),
    category: matter.category,
    severity: matter.severity,
    place: matter.place,
    dueAt,
    expressLane: matter.expressLane,
    channel: report.channel,
    receivedAt: report.receivedAt,
    ...(report.title && { title: agencyText(report.title, mobiles, names) }),
    content: agencyText(report.content, mobiles, names),
  };
}

/** A department's copy that hands it the matter: always in a role. */
export type AssignedCopy = AgencyAssignmentV1 & { action: 'assigned'; role: Involvement['role'] };

/**
 * One department's `assigned` copy of a matter, due at `dueAt`. Only the lead calls the citizen
 * back (the others get the matter, not the phone number, in `contact` or in the text), and nobody
 * gets the contact of a caller the hotline marked confidential (保密).
 */
export function assignedCopy(
  matter: AgencyMatter,
  { department, role }: Involvement,
  dueAt: string,
): AssignedCopy {
  const { parties } = matter.report;
  const data: AssignedCopy = {
    ...agencyView(matter, department, dueAt, mobilesFor(role, parties)),
    action: 'assigned',
    role,
  };
  // The person notify tells of the case's progress (the applicant, else the caller): the lead
  // calls back the same citizen the platform writes to.
  const contact =
    parties.find((party) => party.role === 'applicant') ?? parties.find((party) => party.role === 'caller');
  if (role === 'lead' && contact && !contact.confidential) {
    data.contact = {
      ...(contact.name && { name: contact.name }),
      ...(contact.phone && { phone: contact.phone }),
    };
  }
  return data;
}

/**
 * The same assignment as an agency's webhook gets it (`assignment`, `assignment_update`): what its
 * Kafka copy says, so who is told what (the contact, the partners, the deadline) is decided once,
 * by `assignedCopy`. Only the published shapes differ: the webhook names the department and the
 * places by name and by code in fields of their own, and says null where the copy leaves a field
 * out. It adds the case the dispute is in (`caseId`, as its sender knows it: the copy has none).
 */
export function assignmentWebhookData(copy: AssignedCopy, caseId: string | null): AssignmentWebhookData {
  return {
    disputeId: copy.disputeId,
    version: copy.version,
    role: copy.role,
    department: copy.department.name,
    departmentCode: copy.department.code,
    caseId,
    partners: copy.partners,
    category: copy.category,
    severity: copy.severity,
    place: copy.place.names,
    placeCode: copy.place.divisionCode,
    dueAt: copy.dueAt,
    expressLane: copy.expressLane,
    channel: copy.channel,
    receivedAt: copy.receivedAt,
    title: copy.title ?? null,
    content: copy.content,
    ...(copy.contact && { contact: { name: copy.contact.name ?? null, phone: copy.contact.phone ?? null } }),
  };
}
