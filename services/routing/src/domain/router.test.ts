import { DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { describe, expect, it } from 'vitest';
import { courtDivision, createRouter, type RoutingDecision } from './router.ts';

const router = createRouter();
const now = new Date('2024-08-24T01:00:00Z');

function dispute(fields: Partial<DisputeReceivedV1> & Pick<DisputeReceivedV1, 'content'>): DisputeReceivedV1 {
  return DisputeReceivedV1.parse({
    disputeId: '6f1c1f0e-8a7b-4c55-9d0e-1a2b3c4d5e6f',
    channel: 'hotline_12345',
    sourceRef: '12345-20240824-0001',
    receivedAt: '2024-08-24T09:00:00+08:00',
    location: {},
    parties: [],
    ...fields,
  });
}

const kinds = (decision: RoutingDecision) => decision.coHandlers.map((d) => d.kind).sort();
const ruleIds = (decision: RoutingDecision) => decision.trace.rules.map((r) => r.id);

describe("Yang's case: a court-related civil compensation dispute reported again and again", () => {
  const yang = dispute({
    channel: 'hotline_12345',
    sourceRef: '12345-20240610-0387',
    revision: 3,
    sourceCategory: { scheme: '12345', name: '民事纠纷/损害赔偿' },
    location: { address: '福建省龙岩市永定区下洋镇' },
    content: '杨某反映：其起诉胡某要求赔偿损失，法院判决后胡某在庭上拒不赔偿，至今未解决，已多次反映。',
  });

  it('when routed, then Yongding public security bureau leads with the court and Xiayang town bodies', () => {
    const decision = router.decide(yang, now);
    expect(decision.jurisdiction).toMatchObject({ countyCode: '350803', townCode: '350803102' });
    expect(decision.category).toBe('damages');
    expect(decision.severity).toBe('major');
    expect(decision.lead).toEqual({
      code: '350803-public_security_bureau',
      kind: 'public_security_bureau',
      name: '永定区公安局',
      divisionCode: '350803',
    });
    expect(decision.coHandlers.map((d) => d.name)).toEqual([
      '永定区人民法院',
      '下洋镇司法所',
      '下洋派出所',
      '下洋镇综治办',
    ]);
    expect(decision.triage).toBeNull();
  });

  it('when routed, then it enters the county express lane and the trace says why', () => {
    const decision = router.decide(yang, now);
    expect(decision.expressLane?.level).toBe('county');
    expect(ruleIds(decision)).toEqual(
      expect.arrayContaining([
        'signal.courtRelated',
        'signal.repeated',
        'severity.court-repeated',
        'route.major.court-civil',
      ]),
    );
    expect(decision.trace.rulesVersion).toBe(router.rulesVersion);
    expect(decision.trace.category).toEqual({ source: 'channel', confidence: 1 });
  });

  it('given the first report only, then it is a normal damages dispute for the local mediator', () => {
    const first = router.decide(
      { ...yang, revision: 1, content: '杨某反映：胡某打伤其家人，拒不赔偿医药费。' },
      now,
    );
    expect(first.severity).toBe('normal');
    expect(first.lead?.name).toBe('下洋镇司法所');
  });
});

describe("Guo's case: unpaid wages for 19 days on a reservoir dam, applied on WeChat", () => {
  const guo = dispute({
    channel: 'wechat',
    sourceRef: 'LYETJ-20240824-0012',
    content: '我在新罗区江山镇维修水库大坝，干了19天，老板一直不给工钱，共3800元，请帮忙。',
  });

  it('when routed, then the Jiangshan judicial office (the local mediator) leads at once', () => {
    const decision = router.decide(guo, now);
    expect(decision.jurisdiction.names).toEqual(['龙岩市', '新罗区', '江山镇']);
    expect(decision.category).toBe('labor');
    expect(decision.severity).toBe('normal');
    expect(decision.lead).toMatchObject({
      kind: 'judicial_office',
      name: '江山镇司法所',
      divisionCode: '350802107',
    });
    expect(kinds(decision)).toEqual(['labor_inspection']);
    expect(decision.coHandlers[0]?.name).toBe('新罗区劳动保障监察大队');
    expect(decision.expressLane).toBeNull();
    expect(decision.dueAt).toBe('2024-08-31T01:00:00.000Z');
  });

  it('when routed, then the trace says the place came from the text and the category from 工钱', () => {
    const decision = router.decide(guo, now);
    expect(decision.trace.place.how).toBe('inferred');
    expect(decision.trace.place.evidence).toContain('江山镇');
    expect(decision.trace.category.source).toBe('text');
    expect(decision.trace.rules.find((r) => r.id === 'category.text')?.why).toContain('工钱');
  });
});

describe('triage: what routing cannot place or classify waits for an operator', () => {
  it('given no place at all, then it waits at the city with no lead', () => {
    const decision = router.decide(dispute({ content: '邻居家装修把我家的墙打穿了，要求他们修好。' }), now);
    expect(decision.lead).toBeNull();
    expect(decision.coHandlers).toEqual([]);
    expect(decision.triage).toEqual({
      divisionCode: '350800',
      reason: expect.stringContaining('needs a town'),
    });
    expect(decision.jurisdiction.resolution).toBe('unresolved');
    expect(decision.category).toBe('neighborhood');
  });

  it('given an ambiguous town, then it waits at the city and the candidates are in the trace', () => {
    const decision = router.decide(
      dispute({ location: { address: '万安镇' }, content: '隔壁邻居家的鸡吃光了我家菜地里的菜。' }),
      now,
    );
    expect(decision.triage?.divisionCode).toBe('350800');
    expect(decision.trace.place.candidates).toEqual(['350802104 新罗区万安镇', '350824109 武平县万安镇']);
  });

  it('given only the county for a dispute the town leads, then it waits at the county', () => {
    const decision = router.decide(
      dispute({
        location: { divisionCode: '350823' },
        content: '我在上杭做装修工，老板拖欠工资八千元不给。',
      }),
      now,
    );
    expect(decision.triage).toMatchObject({ divisionCode: '350823' });
    expect(decision.lead).toBeNull();
  });

  it('given only the county for a dispute a county body leads, then it is assigned', () => {
    const decision = router.decide(
      dispute({
        location: { address: '上杭县' },
        content: '在县城一家手机店买的手机是翻新机，商家不承认，要求退货退款。',
      }),
      now,
    );
    expect(decision.lead?.name).toBe('上杭县市场监督管理局');
    expect(decision.triage).toBeNull();
  });

  it('given a place but text that names no category, then it waits at that town', () => {
    const decision = router.decide(
      dispute({ location: { divisionCode: '350802107' }, content: '我要投诉，你们到底管不管？' }),
      now,
    );
    expect(decision.triage).toEqual({
      divisionCode: '350802107',
      reason: expect.stringContaining('no category'),
    });
    expect(decision.category).toBe('other');
    expect(decision.trace.category).toEqual({ source: 'default', confidence: 0 });
  });

  it('given an address in another city, then it waits at the city', () => {
    const decision = router.decide(
      dispute({ location: { address: '福建省厦门市思明区' }, content: '我在厦门打工，老板拖欠工资三个月。' }),
      now,
    );
    expect(decision.triage?.divisionCode).toBe('350800');
  });

  it('gives triage its own short SLA', () => {
    const decision = router.decide(dispute({ content: '我要投诉' }), now);
    expect(decision.dueAt).toBe('2024-08-25T01:00:00.000Z');
  });
});

describe('severity and the express lane', () => {
  it('given a threat of an extreme act, then the police station leads and the county secretary is told', () => {
    const decision = router.decide(
      dispute({
        location: { address: '龙岩市新罗区西陂街道' },
        content: '我老公喝酒后经常打我，他还扬言要和我同归于尽。',
      }),
      now,
    );
    expect(decision.severity).toBe('major');
    expect(decision.lead?.name).toBe('西陂派出所');
    expect(decision.expressLane?.level).toBe('county');
  });

  it('given a threat to jump in words that leave the category uncertain, then the police station still leads', () => {
    const decision = router.decide(
      dispute({ content: '在永定区坎市镇，工地老板欠了我三万块钱，我扬言再不给就从楼上跳下去。' }),
      now,
    );
    expect(decision.trace.category.confidence).toBeLessThan(0.3);
    expect(decision.category).toBe('other');
    expect(decision).toMatchObject({ severity: 'major', triage: null });
    expect(decision.lead?.name).toBe('坎市派出所');
    expect(decision.expressLane?.level).toBe('county');
  });

  it('given an uncertain category and no route that takes every category, then it still waits in triage', () => {
    const decision = router.decide(
      dispute({ content: '在永定区坎市镇，工地老板欠了我三万块钱，楼上的人也不管。' }),
      now,
    );
    expect(decision.lead).toBeNull();
    expect(decision.triage?.reason).toContain('category uncertain');
  });

  it('given many unpaid workers, then county labour inspection leads and the township secretary is told', () => {
    const decision = router.decide(
      dispute({
        location: { address: '龙岩市长汀县红山乡' },
        content: '包工头带我们二十多名工人修水渠，完工三个月了工钱一分没给。',
      }),
      now,
    );
    expect(decision.lead?.name).toBe('长汀县劳动保障监察大队');
    expect(decision.expressLane?.level).toBe('township');
    expect(kinds(decision)).toEqual(['governance_office', 'judicial_office']);
  });

  it('given the workers and the amount in full-width digits (全角, as Chinese input methods type them), then it is major all the same', () => {
    const decision = router.decide(
      dispute({
        location: { address: '龙岩市长汀县红山乡' },
        content: '包工头拖欠我们３０名工人的工资共计６０万元，完工三个月了一分没给。',
      }),
      now,
    );
    expect(decision.severity).toBe('major');
    expect(ruleIds(decision)).toEqual(expect.arrayContaining(['severity.crowd', 'severity.large-amount']));
    expect(decision.lead?.name).toBe('长汀县劳动保障监察大队');
    expect(decision.expressLane?.level).toBe('county');
  });

  it('given a claimed amount of millions, then the city secretary is told', () => {
    const decision = router.decide(
      dispute({
        location: { address: '龙岩市新罗区曹溪街道' },
        amountClaimed: 6_800_000,
        content: '对方公司拖欠我们的工程款，多次催要不付。',
      }),
      now,
    );
    expect(decision.expressLane?.level).toBe('city');
    expect(decision.trace.rules.find((r) => r.id === 'signal.hugeAmount')?.why).toContain(
      '6,800,000 yuan claimed',
    );
  });

  it('given a major dispute whose town is unknown, then the township lane is lifted to the county', () => {
    const decision = router.decide(
      dispute({ location: { divisionCode: '350821' }, content: '二十多名工人的工资被老板拖欠了三个月。' }),
      now,
    );
    expect(decision.expressLane?.level).toBe('county');
    expect(decision.expressLane?.reason).toContain('lifted');
  });
});

/** A report of `content` at `address`, as the hotline or the WeChat form sends it. */
const decideAt = (
  address: string,
  content: string,
  channel: DisputeReceivedV1['channel'] = 'hotline_12345',
) => router.decide(dispute({ channel, location: { address }, content }), now);

describe('amounts and headcounts written in Chinese numerals', () => {
  it('given wages of 八十万元 owed, then it is major and the county secretary is told', () => {
    const decision = decideAt(
      '龙岩市长汀县红山乡',
      '来电人反映：其在红山乡一工地务工，包工头拖欠工人工资八十万元，至今未付。',
    );
    expect(decision.severity).toBe('major');
    expect(decision.expressLane?.level).toBe('county');
    expect(decision.trace.rules.find((r) => r.id === 'signal.largeAmount')?.why).toContain(
      '800,000 yuan named in the text',
    );
  });

  it('given a debt of 一点二亿, then the city secretary is told', () => {
    const decision = decideAt(
      '龙岩市新罗区曹溪街道',
      '来电人称：开发商拖欠其公司工程款一点二亿，多次催讨无果。',
    );
    expect(decision.expressLane?.level).toBe('city');
  });

  it('given 伍拾万元整 as the contract writes it, then it is major and the county secretary is told', () => {
    const decision = decideAt(
      '龙岩市长汀县红山乡',
      '来电人反映：承包合同约定工程款伍拾万元整，完工后发包方至今未付。',
    );
    expect(decision.severity).toBe('major');
    expect(decision.expressLane?.level).toBe('county');
    expect(decision.trace.rules.find((r) => r.id === 'signal.largeAmount')?.why).toContain(
      '500,000 yuan named in the text',
    );
  });

  it('given 2千万 owed, digits and characters mixed, then the city secretary is told', () => {
    const decision = decideAt(
      '龙岩市新罗区曹溪街道',
      '来电人称：开发商拖欠其公司材料款2千万元，多次催讨无果。',
    );
    expect(decision.expressLane?.level).toBe('city');
  });

  it('given a phone number just before a small sum, then the phone is not read as part of the sum', () => {
    const decision = decideAt('龙岩市新罗区万安镇', '房东不退押金，联系电话13812345678，300元押金至今不退。');
    expect(decision.severity).toBe('normal');
    expect(decision.expressLane).toBeNull();
  });

  it('given a range of 四五十万, then it is read as its lower end and stays below the large-amount line', () => {
    const decision = decideAt('龙岩市新罗区万安镇', '邻居借了我四五十万元，说好年底还，现在不认账。');
    expect(ruleIds(decision)).not.toContain('signal.largeAmount');
    expect(decision.expressLane).toBeNull();
  });

  it('given a range written 40-60万, then like 四五十万 it is read as its lower end, below the large-amount line', () => {
    const decision = decideAt('龙岩市新罗区万安镇', '邻居借了我40-60万元，说好年底还，现在不认账。');
    expect(ruleIds(decision)).not.toContain('signal.largeAmount');
    expect(decision.expressLane).toBeNull();
  });

  it('given 近百万 (nearly a million), then the amount is read and the dispute is major', () => {
    const decision = decideAt('龙岩市新罗区万安镇', '合伙开店，对方卷走货款近百万，人已联系不上。');
    expect(decision.trace.rules.find((r) => r.id === 'signal.largeAmount')?.why).toContain('900,000 yuan');
  });

  it('given 十五名 workers unpaid (no noun after 名), then county labour inspection leads', () => {
    const decision = decideAt(
      '龙岩市长汀县红山乡',
      '我们一共十五名，在红山乡修水渠，老板拖欠工资三个月了。',
      'wechat',
    );
    expect(decision.severity).toBe('major');
    expect(decision.lead?.name).toBe('长汀县劳动保障监察大队');
  });

  it('given days, months, a family and place names but a small sum, then it stays a normal dispute', () => {
    const decision = decideAt(
      '龙岩市新罗区万安镇',
      '十一月我在万安镇一家百货店打工，干了一个月零三天，第一次去要工资老板就不给，一家三口等着这三千元过年。',
      'wechat',
    );
    expect(decision.severity).toBe('normal');
    expect(decision.expressLane).toBeNull();
    expect(decision.lead?.name).toBe('万安镇司法所');
  });
});

describe('addresses written in traditional characters', () => {
  it('given 新羅區江山鎮, then it is placed in Jiangshan town as 新罗区江山镇 is', () => {
    const decision = decideAt(
      '新羅區江山鎮',
      '我在水庫大壩維修幹了19天，老闆一直不給工錢，共3800元，請幫忙。',
      'wechat',
    );
    expect(decision.jurisdiction).toMatchObject({ countyCode: '350802', townCode: '350802107' });
    expect(decision.jurisdiction.resolution).toBe('exact');
  });

  it('given 龍巖市永定區下洋鎮 and a large sum in 萬, then Xiayang is placed and the amount read', () => {
    const decision = decideAt(
      '福建省龍巖市永定區下洋鎮中川村',
      '台商反映：對方拖欠其貨款八十萬元，多次催討不還。',
    );
    expect(decision.jurisdiction).toMatchObject({ countyCode: '350803', townCode: '350803102' });
    expect(decision.jurisdiction.names).toContain('下洋镇');
    expect(decision.severity).toBe('major');
  });

  it('given no address but a town in traditional in the text, then the town is found in the text', () => {
    const decision = router.decide(
      dispute({ content: '我家在長汀縣濯田鎮，鄰居蓋房子佔了我家的宅基地。' }),
      now,
    );
    expect(decision.jurisdiction.names).toEqual(['龙岩市', '长汀县', '濯田镇']);
  });
});

describe('joint handling and deadlines', () => {
  it('given violence in a neighbour dispute, then the police station joins the local mediator', () => {
    const decision = router.decide(
      dispute({
        location: { divisionCode: '350825104' },
        content: '邻居因为过道的事情动手打人，把我打伤了。',
      }),
      now,
    );
    expect(decision.lead?.kind).toBe('judicial_office');
    expect(kinds(decision)).toContain('police_station');
  });

  it("given a channel deadline earlier than the rule's SLA, then the channel's deadline is kept", () => {
    const decision = router.decide(
      dispute({
        location: { divisionCode: '350802107' },
        dueAt: '2024-08-26T09:00:00+08:00',
        content: '老板拖欠工资两个月。',
      }),
      now,
    );
    expect(decision.dueAt).toBe('2024-08-26T01:00:00.000Z');
    expect(ruleIds(decision)).toContain('sla.channel-deadline');
  });

  it('given a court referral, then the court joins whatever the category', () => {
    const decision = router.decide(
      dispute({
        channel: 'court',
        sourceRef: '（2024）闽0881民诉前调45号',
        sourceCategory: { scheme: 'court', name: '劳务合同纠纷' },
        location: { address: '龙岩市漳平市拱桥镇' },
        content: '原告为被告提供劳务修建猪舍，被告尚欠劳务费1.8万元。',
      }),
      now,
    );
    expect(decision.lead?.name).toBe('拱桥镇司法所');
    expect(decision.coHandlers.map((d) => d.name)).toContain('漳平市人民法院');
  });
});

describe('court referrals', () => {
  const referral = (fields: Partial<DisputeReceivedV1>) =>
    dispute({
      channel: 'court',
      sourceRef: '（2024）闽0803民诉前调123号',
      content: '原告与被告民间借贷纠纷一案，原告借给被告5万元，到期未还。',
      sourceCategory: { scheme: 'court', name: '民间借贷纠纷' },
      court: {
        courtCode: '闽0803',
        courtName: '龙岩市永定区人民法院',
        caseType: '民诉前调',
        referralDate: '2024-08-20',
        referredBy: 'court-yongding',
        claims: ['判令被告归还借款5万元'],
      },
      ...fields,
    });

  it('given no place but the referring basic court, then the dispute is certain of that county', () => {
    const decision = router.decide(referral({}), now);
    expect(decision.jurisdiction.countyCode).toBe('350803');
    expect(decision.trace.place.evidence).toContain('court 闽0803');
    // The mediator is a town body and the town is unknown: it waits at the county, not at the city.
    expect(decision.triage?.divisionCode).toBe('350803');
  });

  it('given the referring court and a town in the text, then the town is found inside that county', () => {
    const decision = router.decide(referral({ content: '被告住永定区下洋镇，向原告借款5万元未还。' }), now);
    expect(decision.lead?.name).toBe('下洋镇司法所');
    expect(decision.coHandlers.map((d) => d.name)).toContain('永定区人民法院');
  });

  it("given the court's own update of its referral (revision 2: a new deadline), then it is not a report made again", () => {
    const first = router.decide(referral({ content: '被告住永定区下洋镇，向原告借款5万元未还。' }), now);
    const updated = router.decide(
      referral({ content: '被告住永定区下洋镇，向原告借款5万元未还。', revision: 2 }),
      now,
    );
    expect(updated.severity).toBe(first.severity);
    expect(updated.lead).toEqual(first.lead);
    expect(updated.trace.rules.map((r) => r.id)).not.toContain('signal.repeated');
  });

  it('reads court codes as the division of the court', () => {
    expect(courtDivision('闽0803')).toBe('350803');
    expect(courtDivision('闽0881')).toBe('350881');
    expect(courtDivision('闽08')).toBeUndefined();
    expect(courtDivision(undefined)).toBeUndefined();
  });
});

describe('every decision', () => {
  const samples = [
    dispute({ content: '我在新罗区江山镇维修水库大坝，老板不给工钱' }),
    dispute({ content: '我要投诉' }),
    dispute({ location: { address: '万安镇' }, content: '邻居吵闹' }),
  ];

  it('is a valid dispute.assignment.v1 once the service adds id, version and time', () => {
    for (const sample of samples) {
      const event = {
        disputeId: sample.disputeId,
        version: 1,
        decidedAt: now.toISOString(),
        ...router.decide(sample, now),
        dispute: sample,
      };
      expect(() => DisputeAssignedV1.parse(event)).not.toThrow();
    }
  });

  it('is deterministic: the same dispute and time give the same decision, from a fresh router too', () => {
    for (const sample of samples) {
      expect(router.decide(sample, now)).toEqual(router.decide(sample, now));
      expect(createRouter().decide(sample, now)).toEqual(router.decide(sample, now));
    }
  });
});
