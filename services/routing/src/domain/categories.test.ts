import { describe, expect, it } from 'vitest';
import { CategoryClassifier } from './categories.ts';
import { loadRules } from './rules.ts';

const classifier = new CategoryClassifier(loadRules().categories);

describe('classifying from the channel', () => {
  it.each([
    ['12345', '劳动保障/欠薪', 'labor'],
    ['12345', '邻里纠纷', 'neighborhood'],
    ['12345', '城乡建设/物业管理', 'property_mgmt'],
    ['12345', '劳动和社会保障-工资福利', 'labor'],
    ['court', '劳务合同纠纷', 'labor'],
    ['court', '机动车交通事故责任纠纷', 'traffic'],
    ['court', '民间借贷纠纷', 'contract'],
    ['court', '离婚纠纷', 'marriage_family'],
    ['court', '生命权、身体权、健康权纠纷', 'damages'],
    ['court', '房屋租赁合同纠纷', 'contract'],
    ['court', '某某新型合同纠纷', 'contract'],
  ])('given the %s classification %s, then the category is %s with full confidence', (scheme, name, code) => {
    const result = classifier.classify({ sourceCategory: { scheme, name }, text: '（内容不重要）' });
    expect(result).toMatchObject({ code, source: 'channel', confidence: 1 });
    expect(result.matched[0]).toContain(name);
  });

  it('given the platform category already set by the channel, then it is kept', () => {
    expect(classifier.classify({ category: 'medical', text: '邻居' })).toMatchObject({
      code: 'medical',
      source: 'channel',
    });
  });

  it('given a classification we do not map, then the text decides and the result says why', () => {
    const result = classifier.classify({
      sourceCategory: { scheme: '12345', name: '咨询类' },
      text: '包工头拖欠工资两个月',
    });
    expect(result).toMatchObject({ code: 'labor', source: 'text' });
    expect(result.note).toContain('咨询类');
  });
});

describe('classifying from the text', () => {
  it.each([
    ['我在新罗区江山镇维修水库大坝，干了19天，老板一直不给工钱', 'labor'],
    ['邻居家的空调外机滴水到我家阳台上', 'neighborhood'],
    ['骑电动车在路口被一辆小车撞伤，司机不赔', 'traffic'],
    ['小区物业公司擅自上调物业费', 'property_mgmt'],
    ['两家因为山林界址有争议，对方砍了我家的杉木', 'land_forest'],
    ['修路征地的补偿款一直没有发下来', 'land_acquisition'],
    ['工厂晚上排放废气，气味刺鼻', 'environment'],
    ['在医院做手术后出现并发症', 'medical'],
    ['健身房办的会员卡，店家跑路了要求退款', 'consumer'],
    ['丈夫长期不回家，我想离婚', 'marriage_family'],
    ['堂兄在我家宅基地上建房', 'housing_homestead'],
    ['借给同村人5万元，写了借条，到期不还钱', 'contract'],
    ['合伙开养殖场，散伙后分红没给', 'business'],
    ['我家的牛被狗咬伤了，要求赔偿', 'damages'],
  ])('given "%s", then the category is %s', (text, code) => {
    const result = classifier.classify({ text });
    expect(result.code).toBe(code);
    expect(result.source).toBe('text');
    expect(result.confidence).toBeGreaterThan(0.3);
    expect(result.matched.length).toBeGreaterThan(0);
  });

  it('given text that names nothing we know, then the category is other with zero confidence', () => {
    expect(classifier.classify({ text: '我要投诉，你们到底管不管？' })).toEqual({
      code: 'other',
      confidence: 0,
      source: 'default',
      matched: [],
    });
  });

  it('given text split between two categories, then the confidence is low and the runner-up is named', () => {
    const result = classifier.classify({ text: '邻居欠我钱' });
    expect(result.confidence).toBeLessThan(0.35);
    expect(result.runnerUp).toBeDefined();
  });

  it('explains itself with the phrases that decided, strongest first', () => {
    expect(classifier.classify({ text: '包工头欠薪，工资三个月没发' }).matched.slice(0, 2)).toEqual([
      '欠薪',
      '包工头',
    ]);
  });
});
