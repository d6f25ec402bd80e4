import { errorForLog } from '@huijie/database/error-for-log.ts';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Field names that hold personal data anywhere in a logged object. Redaction by name is the
 * safety net; the first rule is that services log ids and outcomes, never a dispute's content.
 */
const personalFields = [
  'name',
  'phone',
  'idNumber',
  'mobile',
  'applicant',
  'caller',
  'parties',
  'content',
  'address',
  'recipient',
  'contact',
  'wechatOpenId',
  'openId',
  'FromUserName',
  'respondent',
  'respondents',
  'phones',
  'claims',
  // case.status.v1: the names of a case's confidential (保密) parties.
  'confidentiality',
];

export const redactPaths = [
  ...personalFields.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
  'req.headers.authorization',
  'req.headers["x-huijie-signature"]',
];

export function createLogger(
  options: { service: string; level?: string },
  destination?: DestinationStream,
): Logger {
  const settings: pino.LoggerOptions = {
    // Not pino's `name`: "name" is a personal-data field and is redacted wherever it appears.
    base: { service: options.service },
    level: options.level ?? 'info',
    redact: { paths: redactPaths, censor: '[redacted]' },
    // Request logs keep the route, never the query string: a query can carry a phone number.
    serializers: {
      // Every `{ err }` logged anywhere: an error's messages and stack carry the values of the
      // query or input that failed, which redaction by field name cannot reach.
      err: errorForLog,
      req: (req: { method: string; routeOptions?: { url?: string }; url: string; id: string }) => ({
        method: req.method,
        route: req.routeOptions?.url ?? req.url.split('?')[0],
        id: req.id,
      }),
    },
  };
  return destination ? pino(settings, destination) : pino(settings);
}

export type { DestinationStream, Logger };
