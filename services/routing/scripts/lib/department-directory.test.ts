import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadGazetteerData } from '../../src/domain/gazetteer.ts';
import { buildDirectory, serializeDirectory } from './department-directory.ts';

const directory = buildDirectory(loadGazetteerData('350800'));
const byCode = new Map(directory.departments.map((d) => [d.code, d]));

describe('the department directory of Longyan', () => {
  it('is exactly what build-departments.ts writes from the committed gazetteer', () => {
    const committed = readFileSync(new URL('../../data/departments-350800.json', import.meta.url), 'utf8');
    expect(serializeDirectory(directory)).toBe(committed);
  });

  it('has 14 county bodies for each of the 7 counties and 4 town bodies for each of the 133 towns', () => {
    expect(directory.departments).toHaveLength(7 * 14 + 133 * 4);
  });

  it('names the bodies of Yang’s and Guo’s cases as people know them', () => {
    expect(byCode.get('350803-public_security_bureau')?.name).toBe('永定区公安局');
    expect(byCode.get('350803-court')?.name).toBe('永定区人民法院');
    expect(byCode.get('350803102-judicial_office')).toMatchObject({
      name: '下洋镇司法所',
      alsoKnownAs: ['下洋镇人民调解委员会', '属地调解员'],
    });
    expect(byCode.get('350803102-police_station')?.name).toBe('下洋派出所');
    expect(byCode.get('350803102-governance_office')?.name).toBe('下洋镇综治办');
    expect(byCode.get('350802107-judicial_office')?.name).toBe('江山镇司法所');
  });

  it('gives a 街道 an office rather than a government', () => {
    expect(byCode.get('350802001-township_government')?.name).toBe('东城街道办事处');
    expect(byCode.get('350802107-township_government')?.name).toBe('江山镇人民政府');
  });

  it('uses codes an agency topic accepts', () => {
    for (const d of directory.departments) expect(d.code).toMatch(/^\d{6}(\d{3})?-[a-z_]+$/);
  });
});
