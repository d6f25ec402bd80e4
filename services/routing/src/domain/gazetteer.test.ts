import { describe, expect, it } from 'vitest';
import { Gazetteer, loadGazetteer, loadGazetteerData } from './gazetteer.ts';

const gazetteer = loadGazetteer('350800');

describe('the Longyan gazetteer extract', () => {
  it('holds the city, its 7 counties, 133 towns and 1,959 villages', () => {
    const data = loadGazetteerData('350800');
    expect(data.city).toEqual({ code: '350800', name: '龙岩市' });
    expect(data.counties.map(([, name]) => name)).toEqual([
      '新罗区',
      '永定区',
      '长汀县',
      '上杭县',
      '武平县',
      '连城县',
      '漳平市',
    ]);
    expect(data.towns).toHaveLength(133);
    expect(data.villages).toHaveLength(1959);
  });
});

describe('resolving a place', () => {
  it('given a town code, when resolved, then the town and its county are exact', () => {
    const place = gazetteer.resolve({ divisionCode: '350803102' });
    expect(place).toMatchObject({ countyCode: '350803', townCode: '350803102', how: 'exact' });
    expect(place.names).toEqual(['龙岩市', '永定区', '下洋镇']);
  });

  it('given a village code, when resolved, then village, town and county are exact', () => {
    const place = gazetteer.resolve({ divisionCode: '350803102206' });
    expect(place.names).toEqual(['龙岩市', '永定区', '下洋镇', '中川村']);
    expect(place).toMatchObject({ villageCode: '350803102206', townCode: '350803102', how: 'exact' });
  });

  it('given a full address, when resolved, then every level is read and the result is exact', () => {
    const place = gazetteer.resolve({ address: '福建省龙岩市永定区下洋镇中川村23号' });
    expect(place).toMatchObject({ countyCode: '350803', townCode: '350803102', villageCode: '350803102206' });
    expect(place.how).toBe('exact');
  });

  it('given a partial address without 区 and with a bare village name after its town, then it is still found', () => {
    const place = gazetteer.resolve({ address: '永定下洋镇中川' });
    expect(place.names).toEqual(['龙岩市', '永定区', '下洋镇', '中川村']);
  });

  it('given a county short name followed by a short town name, then the town is found within that county', () => {
    expect(gazetteer.resolve({ address: '新罗江山' }).townCode).toBe('350802107');
    expect(gazetteer.resolve({ address: '上杭庐丰乡' }).townCode).toBe('350823202');
  });

  it('given a town named alone that is unique in the city, then its county is inferred', () => {
    const place = gazetteer.resolve({ address: '江山镇' });
    expect(place).toMatchObject({ countyCode: '350802', townCode: '350802107', how: 'inferred' });
  });

  it('given a village named alone that is unique in the city, then town and county are inferred', () => {
    const place = gazetteer.resolve({ address: '雾阁村' });
    expect(place.names).toEqual(['龙岩市', '连城县', '四堡镇', '雾阁村']);
    expect(place.how).toBe('inferred');
  });

  it('given 万安镇 alone, then it is ambiguous between 新罗 and 武平 and stays at the city', () => {
    const place = gazetteer.resolve({ address: '万安镇' });
    expect(place.how).toBe('ambiguous');
    expect(place.countyCode).toBeUndefined();
    expect(place.candidates).toEqual([
      { code: '350802104', label: '新罗区万安镇' },
      { code: '350824109', label: '武平县万安镇' },
    ]);
  });

  it('given 新桥镇 with its county, then the county decides', () => {
    expect(gazetteer.resolve({ address: '漳平新桥镇' }).townCode).toBe('350881100');
    expect(gazetteer.resolve({ address: '长汀县新桥镇' }).townCode).toBe('350821103');
  });

  it('given an ambiguous town in the address and its county in the text, then the text decides', () => {
    const place = gazetteer.resolve({ address: '万安镇', text: '我在武平打工，老板不给工资' });
    expect(place).toMatchObject({ townCode: '350824109', how: 'inferred' });
  });

  it('given a repeating village name with its town, then the town picks the village', () => {
    const place = gazetteer.resolve({ address: '湖山乡黄坑村' });
    expect(place.names).toEqual(['龙岩市', '永定区', '湖山乡', '黄坑村']);
  });

  it('given a repeating village name alone, then it is ambiguous with all candidates', () => {
    const place = gazetteer.resolve({ address: '黄坑村' });
    expect(place.how).toBe('ambiguous');
    expect(place.candidates).toHaveLength(6);
    expect(place.names).toEqual(['龙岩市']);
  });

  it('given a repeating village name within one county, then the county is kept as the certain level', () => {
    const place = gazetteer.resolve({ address: '新罗区赤坑村' });
    expect(place).toMatchObject({ countyCode: '350802', how: 'ambiguous' });
    expect(place.townCode).toBeUndefined();
    expect(place.candidates.map((c) => c.label)).toEqual(['新罗区西陂街道赤坑村', '新罗区红坊镇赤坑村']);
  });

  it('given the place only inside the free text, then it is inferred from the text', () => {
    const place = gazetteer.resolve({ text: '我在新罗区江山镇维修水库大坝，干了19天，老板一直不给工钱' });
    expect(place).toMatchObject({ townCode: '350802107', how: 'inferred' });
    expect(place.evidence).toContain('text');
  });

  it('given a text naming a home county and the place of the dispute, then the more specific place wins', () => {
    const place = gazetteer.resolve({ text: '我老家在长汀，现在住在新罗区东肖街道，邻居堆放杂物' });
    expect(place.townCode).toBe('350802007');
  });

  it('given a county code and a town in the text, then the town is looked for only inside that county', () => {
    const place = gazetteer.resolve({ divisionCode: '350803', text: '下洋镇的胡某拒不赔偿' });
    expect(place.townCode).toBe('350803102');
  });

  it('given a village code newer than the extract, then its town is taken from the code prefix', () => {
    const place = gazetteer.resolve({ divisionCode: '350803102999' });
    expect(place).toMatchObject({ townCode: '350803102', how: 'inferred' });
    expect(place.villageCode).toBeUndefined();
    expect(place.evidence).toContain('永定区下洋镇');
  });

  it('given an address in another city, then nothing is guessed', () => {
    const place = gazetteer.resolve({ address: '福建省厦门市思明区' });
    expect(place).toMatchObject({ how: 'unresolved', cityCode: '350800', names: ['龙岩市'] });
  });

  it('given 龙岩市区, then the place is 新罗区 (the old county-level 龙岩市), not the whole city', () => {
    const place = gazetteer.resolve({ text: '龙岩市区某工地拖欠农民工工资，有50多个人' });
    expect(place).toMatchObject({ countyCode: '350802', how: 'inferred' });
    expect(gazetteer.resolve({ address: '龙岩市区' }).countyCode).toBe('350802');
    expect(gazetteer.resolve({ address: '龙岩市新罗区' }).countyCode).toBe('350802');
  });

  it('given a 街道 by its old town name (东肖镇, 龙门镇, 平川镇), then the 街道 is found', () => {
    expect(gazetteer.resolve({ text: '东肖镇的一个小区物业不管电梯' }).townCode).toBe('350802007');
    expect(gazetteer.resolve({ text: '龙门镇有家养猪场排污' }).townCode).toBe('350802008');
    expect(gazetteer.resolve({ address: '平川镇' }).townCode).toBe('350824001');
  });

  it('given a division code of another city, then the evidence says so', () => {
    const place = gazetteer.resolve({ divisionCode: '350203' });
    expect(place.how).toBe('unresolved');
    expect(place.evidence).toContain('350203 is not a division of 龙岩市');
  });

  it('resolves in tens of microseconds', () => {
    const queries = [
      { address: '福建省龙岩市永定区下洋镇中川村' },
      { address: '万安镇', text: '我在武平打工' },
      { text: '我在新罗区江山镇维修水库大坝，干了19天，老板一直不给工钱，共3800元' },
    ];
    for (let i = 0; i < 2000; i++) for (const q of queries) gazetteer.resolve(q);
    const start = performance.now();
    const n = 20_000;
    for (let i = 0; i < n; i++) gazetteer.resolve(queries[i % queries.length]!);
    const microseconds = ((performance.now() - start) * 1000) / n;
    // Measured ≈ 4 µs; the bound leaves room for a busy CI machine.
    expect(microseconds).toBeLessThan(50);
  });
});

describe('a gazetteer built from other data', () => {
  it('works for any city extract with the same shape', () => {
    const tiny = new Gazetteer({
      source: 'test',
      province: { code: '350000', name: '福建省' },
      city: { code: '350100', name: '福州市' },
      counties: [['350102', '鼓楼区']],
      towns: [['350102001', '鼓东街道']],
      villages: [['350102001001', '庆城社区居委会']],
    });
    expect(tiny.resolve({ address: '福州市鼓楼区鼓东街道庆城社区' }).names).toEqual([
      '福州市',
      '鼓楼区',
      '鼓东街道',
      '庆城社区',
    ]);
  });
});
