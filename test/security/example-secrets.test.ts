import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, exampleSecrets, parseConfig } from '@huijie/service-kit/config.ts';
import { describe, expect, it } from 'vitest';
import { configSchemas as schemas } from '../config-schemas.ts';

const root = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The README's commands that start a service in distributed mode: the service and the variables set. */
function readmeStarts(): { service: string; env: Record<string, string> }[] {
  const section = readme.slice(readme.indexOf('## Distributed mode'));
  const block = section.slice(
    section.indexOf('```sh') + 5,
    section.indexOf('```', section.indexOf('```sh') + 5),
  );
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .flatMap((command) => {
      const service = command.match(/services\/([\w-]+)\/src\/main\.ts/)?.[1];
      if (!service) return [];
      const env = Object.fromEntries(
        [...command.matchAll(/\b([A-Z][A-Z0-9_]*)=(?:'([^']*)'|(\S+))/g)].map(([, name, quoted, plain]) => [
          name!,
          quoted ?? plain ?? '',
        ]),
      );
      return [{ service, env }];
    });
}

/**
 * A reader who copies the README's commands gets a service that refuses to start until every
 * secret in them is their own: the examples are public.
 */
describe("the README's example secrets start no service", () => {
  const starts = readmeStarts();

  it('the README starts every service', () => {
    expect(starts.map((start) => start.service).sort()).toEqual(Object.keys(schemas).sort());
  });

  it.each(starts.filter((start) => Object.keys(start.env).some((variable) => variable in exampleSecrets)))(
    '$service, as the README starts it, is refused for each example secret, naming the variable and why',
    ({ service, env }) => {
      const examples = Object.keys(env).filter((variable) => variable in exampleSecrets);
      const refusal = (() => {
        try {
          parseConfig(schemas[service]!, env);
        } catch (error) {
          return error;
        }
      })();
      expect(refusal).toBeInstanceOf(ConfigError);
      const problems = (refusal as Error).message.split('\n').slice(1);
      // Nothing else is wrong with the command: only its secrets.
      expect(problems).toEqual(
        examples.map(
          (variable) =>
            `  ${variable}: the README's example secret (public: ${exampleSecrets[variable]!.risk}); set a secret of your own`,
        ),
      );
    },
  );

  it('every example secret listed is one the README shows, for that variable', () => {
    const shown = starts.flatMap((start) => Object.entries(start.env));
    for (const [variable, { values }] of Object.entries(exampleSecrets))
      for (const value of values)
        expect(
          shown.some(([name, given]) => name === variable && given.includes(value)),
          `${variable}: ${value}`,
        ).toBe(true);
  });

  it('every change-me placeholder in the README and docker-compose.yml is refused', () => {
    const texts = [readme, readFileSync(join(root, 'docker-compose.yml'), 'utf8')];
    const placeholders = texts.flatMap((text) => [...text.matchAll(/(\w+)=(change-me[\w-]*)/g)]);
    expect(placeholders.length).toBeGreaterThan(0);
    for (const [, variable, value] of placeholders)
      expect(exampleSecrets[variable!]?.values, `${variable}=${value}`).toContain(value);
  });
});
