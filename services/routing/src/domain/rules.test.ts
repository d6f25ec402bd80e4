import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultRulesFile, loadRules, parseRules, RulesError } from './rules.ts';

const shipped = (): Record<string, unknown> & { routes: Record<string, unknown>[] } =>
  JSON.parse(readFileSync(defaultRulesFile, 'utf8'));

function errorOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(RulesError);
    return (error as Error).message;
  }
  throw new Error('expected a RulesError');
}

describe('the shipped rules file', () => {
  it('is valid, versioned, and has a route for every category', () => {
    const rules = loadRules();
    expect(rules.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(rules.routes.length).toBeGreaterThan(15);
  });
});

describe('a bad rules file', () => {
  it('given an unknown department kind, then the error names the file and the path', () => {
    const json = shipped();
    (json.routes[5] as { lead: { kind: string } }).lead.kind = 'fire_brigade';
    const message = errorOf(() => parseRules(json, 'rules.v9.json'));
    expect(message).toContain('rules.v9.json is not a valid rules file');
    expect(message).toContain('routes[5].lead.kind');
  });

  it('given a misspelt field, then the error names it instead of ignoring it', () => {
    const json = shipped();
    (json.routes[0] as Record<string, unknown>).coHandler = [];
    expect(errorOf(() => parseRules(json))).toMatch(/routes\[0\].*coHandler/);
  });

  it('given a route that names a signal nobody defined, then the error names the route and the signal', () => {
    const json = shipped();
    (json.routes[1] as { when: { signals: string[] } }).when.signals = ['thunderstorm'];
    expect(errorOf(() => parseRules(json))).toContain(
      'routes[1].when.signals[0]: unknown signal "thunderstorm"',
    );
  });

  it('given a duplicated id, then both places are named', () => {
    const json = shipped();
    (json.routes[2] as { id: string }).id = (json.routes[3] as { id: string }).id;
    expect(errorOf(() => parseRules(json))).toMatch(/routes\[3\]\.id: ".*" is already used at routes\[2\]/);
  });

  it('given a category no plain route serves, then validation refuses the file', () => {
    const json = shipped();
    json.routes = json.routes.filter((route) => route.id !== 'route.medical');
    expect(errorOf(() => parseRules(json))).toContain('no route without signals serves category "medical"');
  });

  it('given a file that is not JSON, then the error says so', () => {
    expect(errorOf(() => loadRules(new URL('data:application/json,{not json')))).toContain(
      'cannot be read as JSON',
    );
  });
});
