import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { describe, expect, it } from 'vitest';
import { guo, push, pushBatch, setup } from './fixtures.ts';

const guoId = disputeIdFor('hotline_12345', guo.orderNo);

describe('callers as the 12345 system writes them', () => {
  it.each([
    ['a landline with an extension (转)', '0597-2345678转801'],
    ['an area code in brackets', '(0597)2345678'],
    ['an area code in full-width brackets', '（0597）2345678'],
    ['a number with spaces', '0597 2345678'],
    ['an extension written ext.', '0597-2345678 ext. 801'],
  ])('takes %s', async (_, phone) => {
    const { app, events } = setup();
    const response = await push(app, { ...guo, caller: { name: '郭某', phone } });
    expect(response.statusCode, response.body).toBe(202);
    expect(events()[0]).toMatchObject({ parties: [{ role: 'caller', phone }] });
  });

  it.each(['+86 138 0000 0000', '138-0000-0000', '0086 138 0000 0000'])(
    'takes a mobile written %s as its 11 digits, as WeChat does: the same caller is found again (repeats)',
    async (phone) => {
      const { app, events } = setup();
      const response = await push(app, { ...guo, caller: { name: '郭某', phone } });
      expect(response.statusCode, response.body).toBe(202);
      expect(events()[0]).toMatchObject({ parties: [{ role: 'caller', phone: '13800000000' }] });
    },
  );

  it('still refuses what is no phone number, naming the field', async () => {
    const { app } = setup();
    const response = await push(app, { ...guo, caller: { phone: '不详' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.fields).toEqual([{ field: 'caller.phone', reason: 'a phone number' }]);
  });

  it('a caller named 匿名 is anonymous: no phone needed, the name not passed on, kept confidential', async () => {
    const { app, events } = setup();
    const noPhone = await push(app, { ...guo, orderNo: 'GD-ANON-1', caller: { name: '匿名' } });
    expect(noPhone.statusCode, noPhone.body).toBe(202);
    expect(events()[0]!.parties).toEqual([{ role: 'caller', kind: 'person', confidential: true }]);
    const withPhone = await push(app, {
      ...guo,
      orderNo: 'GD-ANON-2',
      caller: { name: '匿名', phone: '13800000009' },
    });
    expect(withPhone.statusCode).toBe(202);
    expect(events()[1]!.parties).toEqual([
      { role: 'caller', kind: 'person', phone: '13800000009', confidential: true },
    ]);
  });
});

describe('催办 delivered out of order', () => {
  const reminded = (count: number, lastAt: string) => ({ ...guo, reminder: { count, lastAt } });
  const second = reminded(2, '2024-08-28T09:00:00+08:00');
  const first = reminded(1, '2024-08-26T09:00:00+08:00');

  it('an older reminder arriving after a newer one writes nothing and does not count backwards', async () => {
    const { app, events } = setup();
    await push(app, guo);
    expect((await push(app, second)).json()).toEqual({ disputeId: guoId, duplicate: false, revision: 2 });
    const late = await push(app, first);
    expect(late.statusCode).toBe(202);
    expect(late.json()).toEqual({ disputeId: guoId, duplicate: true, revision: 2, superseded: true });
    // The order without any reminder, delivered late too.
    expect((await push(app, guo)).json()).toEqual({ disputeId: guoId, duplicate: true, revision: 1 });
    expect(events().map((event) => event.hotline?.reminder?.count)).toEqual([undefined, 2]);
    // A retry of the late push is answered as it was the first time.
    expect((await push(app, first)).json()).toEqual(late.json());
    // The next reminder is still taken.
    expect((await push(app, reminded(3, '2024-08-30T09:00:00+08:00'))).json()).toMatchObject({ revision: 3 });
  });

  it('an update pushed without the reminder (new content) after a 催办 is still an update: only a push carrying a 催办 is compared', async () => {
    const { app, events } = setup();
    await push(app, first);
    const corrected = { ...guo, content: `${guo.content}（补充：工地在江山镇）` };
    expect((await push(app, corrected)).json()).toEqual({ disputeId: guoId, duplicate: false, revision: 2 });
    expect(events().map((event) => event.content)).toEqual([first.content, corrected.content]);
  });

  it('in a batch, the late reminder is answered as superseded and the others are taken', async () => {
    const { app } = setup();
    await push(app, second);
    const response = await pushBatch(app, [first, { ...guo, orderNo: 'GD-OTHER-1' }]);
    expect(response.json().results).toMatchObject([
      { index: 0, orderNo: guo.orderNo, status: 202, duplicate: true, superseded: true, revision: 1 },
      { index: 1, orderNo: 'GD-OTHER-1', status: 202, duplicate: false, revision: 1 },
    ]);
  });
});
