import { isCalendarDay } from '@huijie/contracts/calendar.ts';
import type { DisputeReceivedV1, Party } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { mobileNumber } from '@huijie/contracts/phone.ts';
import { storable } from '@huijie/contracts/storable-text.ts';
import { CityDivisionCode } from '@huijie/contracts/vocabulary.ts';
import { absentIsRequired, whenPresent } from '@huijie/service-kit/errors.ts';
import { fingerprint } from '@huijie/service-kit/revisions.ts';
import { z } from 'zod';
import { type CaseNumber, parseCaseNumber } from './case-number.ts';
import { courtOf } from './courts.ts';

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The reason a value that starts with YYYY-MM-DD names no day of the calendar (2026-11-31,
 * 2025-02-29, 2026-13-01): "a date, YYYY-MM-DD" would send a court looking for a format it
 * already follows.
 */
function noSuchDay(value: unknown): string | undefined {
  const day = typeof value === 'string' ? /^\d{4}-\d{2}-\d{2}/.exec(value)?.[0] : undefined;
  if (!day) return undefined;
  return isCalendarDay(day) ? undefined : `no such day: ${day}`;
}

/** A date as courts write them (YYYY-MM-DD), on the calendar of China (UTC+8). */
const isoDate = z.iso.date({
  error: (issue) =>
    issue.input === undefined ? undefined : (noSuchDay(issue.input) ?? 'a date, YYYY-MM-DD'),
});

/** 调解期限: a date (the end of that day in China) or a moment. */
const deadlineField = z.union([isoDate, z.iso.datetime({ offset: true })], {
  error: (issue) =>
    issue.input === undefined
      ? undefined
      : (noSuchDay(issue.input) ?? 'a date (YYYY-MM-DD) or a date-time with offset'),
});

export const ReferralParty = z.object({
  role: z.enum(['applicant', 'respondent', 'third_party']),
  kind: z.enum(['person', 'organisation']),
  name: text(100),
  /** 身份证 or 统一社会信用代码, or a passport number: letters and digits only. */
  idNumber: z
    .string()
    .regex(/^[0-9A-Za-z]{6,30}$/, '6 to 30 letters and digits')
    .optional(),
  /** Digits with the spaces and dashes people write between them (138 0000 0001, +86-138-0000-0001). */
  phone: z
    .string()
    .trim()
    .regex(
      /^(?=(?:\D*\d){5})\+?[\d\s-]{5,20}$/,
      'a phone number: 5 to 20 digits, spaces, "-" and a leading "+"',
    )
    .optional(),
  address: text(200).optional(),
});
export type ReferralParty = z.infer<typeof ReferralParty>;

/** Longest text the dispute event carries: the cause, the claims and the facts together must fit. */
const maxContent = 20_000;

const referralShape = (now: () => Date) =>
  z.object({
    /** （2024）闽0803民诉前调123号, in any accepted spelling. */
    caseNumber: z.string().check((ctx) => {
      const parsed = parseCaseNumber(ctx.value, now());
      if (!parsed.ok) ctx.issues.push({ code: 'custom', message: parsed.reason, input: ctx.value });
    }),
    /** The referring court; when given it must be the court of the case number. */
    court: z.object({ code: z.string().trim().max(20), name: z.string().max(100).optional() }).optional(),
    /** 案由, as the court's classification names it (民事案件案由规定). */
    causeOfAction: z.object({
      code: z
        .string()
        .regex(/^[\w.-]{1,20}$/, 'up to 20 letters, digits, ".", "-" or "_"')
        .optional(),
      name: text(100),
    }),
    parties: z.array(ReferralParty).max(50),
    /** 诉讼请求: what the applicant asks for, one item each. */
    claims: z.array(text(1000)).min(1, 'at least one claim is required').max(20),
    /** 事实与理由. */
    facts: text(maxContent).optional(),
    /** 标的额 in yuan. */
    amount: z
      .number()
      .nonnegative()
      .max(1e12)
      .refine((value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-6, 'at most two decimals (fen)')
      .optional(),
    referralDate: isoDate,
    mediationDeadline: deadlineField,
    /** Where the dispute happened, when the court knows better than its own county. */
    place: z
      .object({
        divisionCode: CityDivisionCode.optional(),
        address: text(500).optional(),
      })
      .optional(),
    attachments: z
      .array(
        z.object({
          url: z.url({ protocol: /^https?$/, error: whenPresent('an http(s) URL') }),
          name: z.string().max(200).optional(),
        }),
      )
      .max(50)
      .optional(),
  });

export type Referral = z.infer<ReturnType<typeof referralShape>>;

/** A referral that passed every check, with its parsed case number. */
export interface ValidReferral {
  referral: Referral;
  caseNumber: CaseNumber;
}

const day = 24 * 3600_000;

/** A deadline given as a date ends with that day in China. */
export function deadlineInstant(deadline: string): string {
  return dateOnly.test(deadline) ? `${deadline}T23:59:59+08:00` : deadline;
}

/** Today's date in China. */
function chinaDate(now: Date): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/**
 * The referral schema with the checks that need the clock and more than one field: the case
 * number parses, the court agrees with it, both sides are present, the dates make sense and the
 * content fits the event.
 */
export function referralSchema(now: () => Date = () => new Date()) {
  const checked = referralShape(now).superRefine((referral, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message, input: undefined });
    const parsed = parseCaseNumber(referral.caseNumber, now());
    const caseNumber = parsed.ok ? parsed.value : undefined;

    if (referral.court && caseNumber && referral.court.code !== caseNumber.court) {
      issue(['court', 'code'], `must be the court of the case number, ${caseNumber.court}`);
    }
    const roles = new Set(referral.parties.map((party) => party.role));
    if (!roles.has('applicant')) issue(['parties'], 'an applicant is required');
    if (!roles.has('respondent')) issue(['parties'], 'a respondent is required');

    // The dates are compared only when each passed its own check: zod runs this refinement after a
    // malformed date too, and "2026/11/20" compared as a string ('/' sorts after '-') would be
    // called "after today" on top of its real reason.
    const referralDate = isoDate.safeParse(referral.referralDate).success ? referral.referralDate : undefined;
    const deadlineGiven = deadlineField.safeParse(referral.mediationDeadline).success;
    if (referralDate) {
      const today = chinaDate(now());
      if (referralDate > today) issue(['referralDate'], `is after today (${today} in China)`);
      if (caseNumber && Number(referralDate.slice(0, 4)) < caseNumber.year) {
        issue(['referralDate'], `is before the case number's year ${caseNumber.year}`);
      }
    }
    if (referralDate && deadlineGiven) {
      const referred = Date.parse(`${referralDate}T00:00:00+08:00`);
      const deadline = Date.parse(deadlineInstant(referral.mediationDeadline));
      if (deadline < referred) issue(['mediationDeadline'], 'is before the referral date');
      else if (deadline - referred > 366 * day)
        issue(['mediationDeadline'], 'is more than a year after the referral');
    }

    if (contentOf(referral).length > maxContent) {
      issue(['facts'], `the cause, claims and facts together exceed ${maxContent} characters`);
    }
  });
  return storable(checked);
}

/** Checks a referral, returning its parsed case number with it. */
export function validateReferral(
  schema: ReturnType<typeof referralSchema>,
  body: unknown,
  now: Date,
): { ok: true; value: ValidReferral } | { ok: false; error: z.ZodError } {
  // A required field missing (or null, read as absent) is named as required, not as a type error.
  const result = schema.safeParse(body, { error: absentIsRequired });
  if (!result.success) return { ok: false, error: result.error };
  // The schema already checked the case number: this cannot fail.
  const parsed = parseCaseNumber(result.data.caseNumber, now);
  if (!parsed.ok) throw new Error('case number accepted by the schema but not by the parser');
  return { ok: true, value: { referral: result.data, caseNumber: parsed.value } };
}

/** What a mediator reads: cause, claims, facts. No names or numbers of the parties: those are in `parties`. */
export function contentOf(referral: Referral): string {
  const lines = [`案由：${referral.causeOfAction.name}`, '诉讼请求：'];
  referral.claims.forEach((claim, index) => {
    lines.push(`${index + 1}. ${claim}`);
  });
  if (referral.facts) lines.push(`事实与理由：${referral.facts}`);
  return lines.join('\n');
}

const partyRole = { applicant: 'applicant', respondent: 'respondent', third_party: 'other' } as const;

/**
 * The place: the described place first; else the court's county (the intermediate court's is the
 * whole city, so a basic court's county is never replaced by the city); the address from the
 * described place, else the respondent's, else the applicant's, else any party's.
 */
export function locationOf(referral: Referral, caseNumber: CaseNumber): DisputeReceivedV1['location'] {
  const court = courtOf(caseNumber.court);
  const given = referral.place?.divisionCode;
  const divisionCode = given && given !== '350800' ? given : court.divisionCode;
  const addressOf = (role: ReferralParty['role']) =>
    referral.parties.find((party) => party.role === role && party.address)?.address;
  const address =
    referral.place?.address ??
    addressOf('respondent') ??
    addressOf('applicant') ??
    referral.parties.find((party) => party.address)?.address;
  return address ? { divisionCode, address } : { divisionCode };
}

/** The referral in the platform's one shape; the cause of action is kept as the court's classification. */
export function normaliseReferral(
  { referral, caseNumber }: ValidReferral,
  context: { clientId: string; receivedAt: Date },
): DisputeReceivedV1 {
  const court = courtOf(caseNumber.court);
  const disputeId = disputeIdFor('court', caseNumber.canonical);
  const parties: Party[] = referral.parties.map((party) => ({
    role: partyRole[party.role],
    kind: party.kind,
    name: party.name,
    // A mobile as its 11 digits, as the hotline and WeChat write it: a referral joins the open
    // case its applicant already reported by that number, however the court spelled it.
    ...(party.phone && { phone: mobileNumber(party.phone) ?? party.phone }),
    ...(party.idNumber && { idNumber: party.idNumber.toUpperCase() }),
  }));
  const dispute: DisputeReceivedV1 = {
    disputeId,
    channel: 'court',
    sourceRef: caseNumber.canonical,
    // Where the outcome goes back (notify reads it; `court.referredBy` says the same for court readers).
    sourceClient: context.clientId,
    revision: 1,
    receivedAt: context.receivedAt.toISOString(),
    title: `${referral.causeOfAction.name}（${caseNumber.canonical}）`,
    content: contentOf(referral),
    sourceCategory: {
      scheme: 'court_cause',
      name: referral.causeOfAction.name,
      ...(referral.causeOfAction.code && { code: referral.causeOfAction.code }),
    },
    location: locationOf(referral, caseNumber),
    parties,
    dueAt: deadlineInstant(referral.mediationDeadline),
    attachments: (referral.attachments ?? []).map((attachment) => ({
      url: attachment.url,
      ...(attachment.name && { name: attachment.name }),
    })),
    court: {
      courtCode: court.code,
      courtName: court.name,
      caseType: caseNumber.type,
      referralDate: referral.referralDate,
      referredBy: context.clientId,
      claims: referral.claims,
    },
  };
  if (referral.amount !== undefined) dispute.amountClaimed = referral.amount;
  return dispute;
}

/**
 * What a referral says, as a short digest: the same referral pushed again (a retry, another
 * spelling of its case number, its keys in another order, another client allowed for the court)
 * has the same fingerprint; a changed deadline, party, claim, fact or place makes another — an
 * update of the dispute. Left out is what only describes the push: when it arrived, who pushed it.
 */
export function referralFingerprint(dispute: DisputeReceivedV1): string {
  const {
    disputeId: _id,
    revision: _revision,
    sourceClient: _client,
    receivedAt: _received,
    court,
    dueAt,
    ...substance
  } = dispute;
  const { referredBy: _referredBy, ...referral } = court ?? {};
  return fingerprint({ ...substance, court: referral, dueAt: dueAt && Date.parse(dueAt) });
}
