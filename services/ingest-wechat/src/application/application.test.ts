import { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { describe, expect, it } from 'vitest';
import { townDirectory } from '../towns.ts';
import {
  applicationSchema,
  fingerprint,
  normaliseApplication,
  trackingNoFor,
  trackingNoPattern,
} from './application.ts';

const towns = townDirectory();
const schema = applicationSchema(towns);

const guo = {
  submissionId: '6f1c1a52-8b0e-4c55-9d8a-0b8a2f3e9c11',
  townCode: '350802107',
  address: '',
  applicant: { name: ' 郭某 ', phone: '+86 138-0000-1234' },
  respondent: { kind: 'person', name: '包工头', phone: '' },
  description: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
  amountClaimed: '3,800',
  attachments: [],
  agreed: true,
};

const problems = (body: unknown) => {
  const result = schema.safeParse(body);
  return result.success
    ? {}
    : Object.fromEntries(result.error.issues.map((i) => [i.path.join('.'), i.message]));
};

describe('the application', () => {
  it('normalises what people type: spaces, +86, dashes, thousands separators, blanks', () => {
    const application = schema.parse(guo);
    expect(application.applicant).toEqual({ name: '郭某', phone: '13800001234' });
    expect(application.respondent).toEqual({ kind: 'person', name: '包工头' });
    expect(application.amountClaimed).toBe(3800);
    expect(application.address).toBeUndefined();
  });

  it('says in Chinese what is wrong with each field', () => {
    expect(problems({ ...guo, applicant: { name: '', phone: '12345' }, townCode: '110101001' })).toEqual({
      'applicant.name': '请填写申请人姓名',
      'applicant.phone': '请填写11位手机号码',
      townCode: '请选择龙岩市内的乡镇（街道）',
    });
    expect(problems({ ...guo, description: '欠薪', amountClaimed: '-5', agreed: false })).toEqual({
      description: '纠纷情况至少需要10个字',
      amountClaimed: '涉及金额应为数字（单位：元）',
      agreed: '请阅读并同意个人信息使用说明',
    });
    expect(problems({ ...guo, amountClaimed: 12.345, attachments: ['javascript:alert(1)'] })).toEqual({
      amountClaimed: '金额最多保留两位小数',
      'attachments.0': '附件链接应为以 http:// 或 https:// 开头的网址',
    });
    expect(problems('a string')).toEqual({ '': '申请内容应为 JSON 对象' });
  });

  it('refuses characters that cannot be stored downstream (NUL, other controls, lone surrogates)', () => {
    expect(problems({ ...guo, applicant: { ...guo.applicant, name: 'a\u0000b' } })).toHaveProperty(
      'applicant.name',
    );
    expect(problems({ ...guo, description: `${guo.description}\ud800` })).toHaveProperty('description');
    expect(problems({ ...guo, description: `${guo.description}\n第二行\t😀` })).toEqual({});
  });

  it('amounts as people write them on a phone: 万, ￥, full-width digits', () => {
    const amountOf = (amountClaimed: string) => schema.parse({ ...guo, amountClaimed }).amountClaimed;
    expect(amountOf('3万')).toBe(30_000);
    expect(amountOf('1.1万元')).toBe(11_000);
    expect(amountOf('2.65万')).toBe(26_500);
    expect(amountOf('￥3800')).toBe(3800);
    expect(amountOf('３８００元')).toBe(3800);
    expect(problems({ ...guo, amountClaimed: '万' })).toHaveProperty('amountClaimed');
  });

  it('the respondent, often a shop or a company, may be given by a landline or a 400 number', () => {
    for (const phone of ['0597-2233445', '(0597)22334455', '020 1234 5678', '400-123-4567']) {
      const respondent = { kind: 'organisation', name: '某某建筑公司', phone };
      expect(problems({ ...guo, respondent }), phone).toEqual({});
    }
    expect(
      schema.parse({ ...guo, respondent: { ...guo.respondent, phone: '0597-2233445' } }).respondent.phone,
    ).toBe('05972233445');
    expect(problems({ ...guo, respondent: { ...guo.respondent, phone: '12345' } })).toHaveProperty(
      'respondent.phone',
    );
  });

  it('a mobile as a Chinese phone keyboard types it is the 11 digits the other channels file', () => {
    const typed = [
      '0086 138 0000 1234',
      '１３８００００１２３４',
      '＋86 13800001234',
      '(+86)13800001234',
      // Dots between the groups: the ASCII one, and the 。 a Chinese keyboard types for it.
      '138.0000.1234',
      '138。0000。1234',
    ];
    for (const phone of typed) {
      const application = schema.parse({ ...guo, applicant: { name: '郭某', phone } });
      expect(application.applicant.phone, phone).toBe('13800001234');
      const respondent = { ...guo.respondent, phone };
      expect(schema.parse({ ...guo, respondent }).respondent.phone, phone).toBe('13800001234');
    }
    expect(
      schema.parse({ ...guo, respondent: { ...guo.respondent, phone: '（０５９７）２２３３４４５' } })
        .respondent.phone,
    ).toBe('05972233445');
  });

  it('amounts: cents are fine, floating-point noise is not an error', () => {
    for (const amount of [0.29, 19.99, '1234.56', 0, '']) {
      expect(problems({ ...guo, amountClaimed: amount }), String(amount)).toEqual({});
    }
  });
});

describe('tracking numbers', () => {
  it('are derived from the submission id: the same submission always has the same number', () => {
    const a = trackingNoFor(guo.submissionId);
    expect(a).toMatch(trackingNoPattern);
    expect(trackingNoFor(guo.submissionId)).toBe(a);
    const many = new Set(Array.from({ length: 10_000 }, () => trackingNoFor(crypto.randomUUID())));
    expect(many.size).toBe(10_000);
  });

  it('avoid characters that are misread (0/O, 1/I/L)', () => {
    for (let i = 0; i < 1000; i++) expect(trackingNoFor(String(i).padStart(16, 'x'))).not.toMatch(/[01OIL]/);
  });
});

describe('the dispute it becomes', () => {
  it('is a valid dispute.intake.v1 in the chosen town, applicant and respondent as parties', () => {
    const application = schema.parse({
      ...guo,
      address: '江山镇某村',
      attachments: ['https://img.example/1.jpg'],
    });
    const trackingNo = trackingNoFor(application.submissionId);
    const dispute = normaliseApplication(
      application,
      trackingNo,
      towns.get('350802107')!,
      new Date('2024-08-24T01:30:00Z'),
    );
    expect(DisputeReceivedV1.parse(dispute)).toEqual(dispute);
    expect(dispute).toMatchObject({
      disputeId: disputeIdFor('wechat', trackingNo),
      channel: 'wechat',
      sourceRef: trackingNo,
      receivedAt: '2024-08-24T01:30:00.000Z',
      location: { divisionCode: '350802107', address: '江山镇某村' },
      amountClaimed: 3800,
      attachments: [{ url: 'https://img.example/1.jpg' }],
      parties: [
        { role: 'applicant', name: '郭某', phone: '13800001234' },
        { role: 'respondent', name: '包工头' },
      ],
    });
  });

  it('a changed application has another fingerprint', () => {
    const a = schema.parse(guo);
    expect(fingerprint(a)).toBe(fingerprint(schema.parse({ ...guo, submissionId: 'another-submission-01' })));
    expect(fingerprint(a)).not.toBe(fingerprint(schema.parse({ ...guo, amountClaimed: 3900 })));
  });
});
