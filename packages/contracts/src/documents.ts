import { z } from 'zod';
import { catalogue, type EventName, eventNames } from './catalogue.ts';
import { ceHeaders } from './cloudevents.ts';
import { examples } from './examples.ts';
import { type WebhookName, webhookCatalogue, webhookNames } from './webhooks/catalogue.ts';
import { webhookHeaders, webhookSigning } from './webhooks/envelope.ts';

/** JSON Schema (draft 2020-12) of one event's data, generated from its zod schema. */
export function jsonSchemaOf(name: EventName): Record<string, unknown> {
  const entry = catalogue[name];
  return {
    $id: `https://huijie.dev/schemas/${name}.json`,
    title: name,
    description: entry.summary,
    ...z.toJSONSchema(entry.schema, { io: 'input', target: 'draft-2020-12' }),
  };
}

/** The Kafka key of an event's messages where it is not the dispute id. */
const messageKeys: Partial<Record<EventName, Record<string, unknown>>> = {
  'operator.access.v1': { type: 'string', description: "the operator's username" },
};

function messageOf(name: EventName): Record<string, unknown> {
  return {
    name,
    title: name,
    summary: catalogue[name].summary,
    contentType: 'application/json',
    headers: {
      type: 'object',
      required: [ceHeaders.id, ceHeaders.type, ceHeaders.source, ceHeaders.time, ceHeaders.specversion],
      properties: {
        [ceHeaders.id]: { type: 'string', description: 'CloudEvents id, unique per event' },
        [ceHeaders.type]: { type: 'string', const: catalogue[name].type },
        [ceHeaders.source]: { type: 'string', description: 'the publishing service' },
        [ceHeaders.time]: { type: 'string', format: 'date-time' },
        [ceHeaders.specversion]: { type: 'string', const: '1.0' },
        [ceHeaders.correlationId]: { type: 'string', description: 'follows one dispute end to end' },
      },
    },
    payload: { $ref: `./schemas/${name}.json` },
    bindings: {
      kafka: { key: messageKeys[name] ?? { type: 'string', format: 'uuid', description: 'dispute id' } },
    },
    ...(examples[name] && { examples: examples[name] }),
  };
}

/** The AsyncAPI 3.0 document of the topics partner agencies and other consumers read. */
export function asyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const name of eventNames) {
    const key = name.replaceAll('.', '_');
    // The agency view travels only on the agencies' own topics (below), not on a topic of its name.
    if (name === 'agency.assignment.v1' || name === 'agency.status.v1' || name === 'court.outcome.v1') {
      messages[key] = messageOf(name);
      continue;
    }
    messages[key] = messageOf(name);
    channels[key] = {
      address: name,
      messages: { [key]: { $ref: `#/components/messages/${key}` } },
    };
    operations[`receive_${key}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${key}` },
    };
  }
  channels['agency_assignment'] = {
    address: 'agency.{agencyCode}.assignment.v1',
    description: "One agency's own copy of the assignments that involve it.",
    parameters: {
      agencyCode: { description: 'the department code, e.g. 350803104-police_station (下洋派出所)' },
    },
    messages: { agency_assignment_v1: { $ref: '#/components/messages/agency_assignment_v1' } },
  };
  channels['agency_status'] = {
    address: 'agency.{agencyCode}.status.v1',
    description:
      "One agency's own notices of the matters it holds: the case ended (with its outcome), its deadline is near or past. Keyed as its assignment topic (the dispute id).",
    parameters: {
      agencyCode: { description: 'the department code, e.g. 350803104-police_station (下洋派出所)' },
    },
    messages: { agency_status_v1: { $ref: '#/components/messages/agency_status_v1' } },
  };
  channels['court_outcome'] = {
    address: 'court.{court}.outcome.v1',
    description: "One court's referral outcomes (court = the court code with 闽 written fj, e.g. fj0803).",
    parameters: { court: { description: 'e.g. fj0803 for 闽0803 (永定区人民法院)' } },
    messages: { court_outcome_v1: { $ref: '#/components/messages/court_outcome_v1' } },
  };
  operations['receive_court_outcome'] = { action: 'receive', channel: { $ref: '#/channels/court_outcome' } };
  operations['receive_agency_assignment'] = {
    action: 'receive',
    channel: { $ref: '#/channels/agency_assignment' },
  };
  operations['receive_agency_status'] = { action: 'receive', channel: { $ref: '#/channels/agency_status' } };
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Huijie events',
      version: '1.0.0',
      description:
        'Events of the Huijie dispute platform, CloudEvents 1.0 in Kafka binary mode: ce_* headers, JSON body, key = dispute id. Generated from the zod schemas in packages/contracts; do not edit by hand.',
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages },
  };
}

/** JSON Schema (draft 2020-12) of one webhook's body, with how to verify a request in its description. */
export function webhookJsonSchemaOf(name: WebhookName): Record<string, unknown> {
  const entry = webhookCatalogue[name];
  return {
    $id: `https://huijie.dev/schemas/webhooks/${name}.json`,
    title: name,
    ...z.toJSONSchema(entry.schema, { io: 'input', target: 'draft-2020-12' }),
    description: `${entry.summary}\n\n${webhookSigning}`,
  };
}

/** The OpenAPI 3.1 document of the webhooks: what each endpoint receives, and the headers that sign it. */
export function webhooksOpenApiDocument(): Record<string, unknown> {
  const header = (name: string, description: string) => ({
    name,
    in: 'header',
    required: true,
    description,
    schema: { type: 'string' },
  });
  const parameters = [
    header(webhookHeaders.delivery, 'The delivery id, the same on every try: deduplicate on it.'),
    header(webhookHeaders.idempotencyKey, 'The delivery id again, for receivers that key on this header.'),
    header(webhookHeaders.kind, "The body's kind."),
    header(webhookHeaders.attempt, 'The try, 1 for the first.'),
    header(webhookHeaders.client, '`huijie-notify`: the platform as the signer.'),
    header(webhookHeaders.timestamp, 'Unix seconds when this try was signed.'),
    header(
      webhookHeaders.signature,
      'Hex HMAC-SHA256 of `timestamp + "." + body`, keyed with the shared secret.',
    ),
  ];
  const webhooks: Record<string, unknown> = {};
  for (const name of webhookNames) {
    webhooks[name] = {
      post: {
        summary: webhookCatalogue[name].summary,
        parameters,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: `./${name}.json` } } },
        },
        responses: {
          '200': { description: 'Stored (any 2xx): the delivery is done.' },
          '503': {
            description: 'Not now (408, 425, 429, 5xx): retried with backoff, honouring Retry-After.',
          },
          '400': { description: 'Refused (other 4xx): not retried; a dead letter an operator can replay.' },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Huijie webhooks',
      version: '1.0.0',
      description: `The signed POSTs the platform's notify service makes to partners' endpoints. Generated from the zod schemas in packages/contracts; do not edit by hand.\n\n${webhookSigning}`,
    },
    webhooks,
  };
}

/** Every generated document: path under `docs/` → content. */
export function generatedDocuments(): Record<string, string> {
  const docs: Record<string, string> = {
    'asyncapi.json': `${JSON.stringify(asyncApiDocument(), null, 2)}\n`,
  };
  for (const name of eventNames) {
    docs[`schemas/${name}.json`] = `${JSON.stringify(jsonSchemaOf(name), null, 2)}\n`;
  }
  docs['webhooks/openapi.json'] = `${JSON.stringify(webhooksOpenApiDocument(), null, 2)}\n`;
  for (const name of webhookNames) {
    docs[`webhooks/${name}.json`] = `${JSON.stringify(webhookJsonSchemaOf(name), null, 2)}\n`;
  }
  return docs;
}
