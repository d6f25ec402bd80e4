import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogue, eventNames } from './catalogue.ts';
import { generatedDocuments } from './documents.ts';
import { disputeIdFor } from './ids.ts';
import { webhookNames } from './webhooks/catalogue.ts';

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
} & Record<string, unknown>;

/** Every property, however deep (nested objects, array items, nullable branches), that has no description. */
function undescribed(schema: JsonSchema, path: string): string[] {
  const found: string[] = [];
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (typeof property.description !== 'string' || property.description.trim() === '')
      found.push(`${path}.${key}`);
    found.push(...undescribed(property, `${path}.${key}`));
  }
  if (schema.items) found.push(...undescribed(schema.items, `${path}[]`));
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])])
    found.push(...undescribed(branch, path));
  return found;
}

describe('generated documents', () => {
  it('the committed docs/ match the zod schemas (run `npm run generate` when this fails)', () => {
    const docsDir = join(import.meta.dirname, '..', 'docs');
    for (const [path, content] of Object.entries(generatedDocuments())) {
      expect(readFileSync(join(docsDir, path), 'utf8'), `docs/${path} is stale`).toBe(content);
    }
  });

  it('every event has a JSON Schema that requires its id and the AsyncAPI lists its topic', () => {
    const docs = generatedDocuments();
    const asyncapi = JSON.parse(docs['asyncapi.json']!);
    for (const name of eventNames) {
      const schema = JSON.parse(docs[`schemas/${name}.json`]!);
      expect(schema.type).toBe('object');
      expect(schema.required.length).toBeGreaterThan(0);
      const addresses = Object.values(asyncapi.channels).map((c) => (c as { address: string }).address);
      // Three events travel only on per-recipient topics: each agency's two, each court's.
      const perRecipient: Record<string, string> = {
        'agency.assignment.v1': 'agency.{agencyCode}.assignment.v1',
        'agency.status.v1': 'agency.{agencyCode}.status.v1',
        'court.outcome.v1': 'court.{court}.outcome.v1',
      };
      expect(addresses).toContain(perRecipient[name] ?? name);
    }
  });

  it('every field of every published event schema tells an integrator what it means', () => {
    const docs = generatedDocuments();
    const missing = eventNames.flatMap((name) =>
      undescribed(JSON.parse(docs[`schemas/${name}.json`]!), name),
    );
    expect(missing).toEqual([]);
  });

  it('every field of every webhook body tells an integrator what it means, and each document says how to verify a request', () => {
    const docs = generatedDocuments();
    const openapi = JSON.parse(docs['webhooks/openapi.json']!);
    const missing = webhookNames.flatMap((name) => {
      const schema = JSON.parse(docs[`webhooks/${name}.json`]!);
      expect(schema.description, name).toContain('HMAC-SHA256');
      expect(schema.description, name).toContain('`timestamp + "." + body`');
      expect(schema.description, name).toContain('x-huijie-delivery');
      expect(openapi.webhooks[name].post.requestBody.content['application/json'].schema.$ref).toBe(
        `./${name}.json`,
      );
      return undescribed(schema, name);
    });
    expect(missing).toEqual([]);
    const agencyKinds = JSON.parse(docs['webhooks/agency-webhook.json']!).oneOf.map(
      (branch: JsonSchema & { properties: { kind: { const: string } } }) => branch.properties.kind.const,
    );
    expect(agencyKinds).toEqual([
      'assignment',
      'assignment_update',
      'withdrawal',
      'sla_reminder',
      'case_result',
    ]);
  });

  it("the AsyncAPI document's examples are valid messages of their event", () => {
    const messages = JSON.parse(generatedDocuments()['asyncapi.json']!).components.messages;
    const withExamples = eventNames.filter((name) => messages[name.replaceAll('.', '_')].examples);
    expect(withExamples).toContain('agency.assignment.v1');
    for (const name of withExamples) {
      for (const example of messages[name.replaceAll('.', '_')].examples) {
        const parsed = catalogue[name].schema.safeParse(example.payload);
        expect(parsed.error?.issues, `${name} example ${example.name}`).toBeUndefined();
      }
    }
  });

  it("Guo's example carries the dispute id his WeChat tracking number gives", () => {
    const messages = JSON.parse(generatedDocuments()['asyncapi.json']!).components.messages;
    const [resolved] = messages.case_status_v1.examples;
    const [report] = resolved.payload.reports;
    expect(report.disputeId).toBe(disputeIdFor(report.channel, report.sourceRef));
    expect(messages.agency_assignment_v1.examples[0].payload.disputeId).toBe(report.disputeId);
  });
});
