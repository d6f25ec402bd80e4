import { loadDepartmentDirectory } from '@huijie/routing/domain/departments.ts';
import { capturedLogger } from '@huijie/service-kit/log-capture.ts';
import { describe, expect, it } from 'vitest';
import { buildChannels, type NotifySettings, outboxStandIns, warnOfOutboxStandIns } from './app.ts';
import { memoryTokenStore } from './channels/token-store.ts';

const target = { url: 'https://agency.example/hook', secret: 'agency-secret-0123456789' };
/** Notify as the README's distributed mode starts it: no provider variable set. */
const bare: NotifySettings = {
  jwtSecret: 'x'.repeat(32),
  webhooks: new Map(),
  outboxFile: 'data/notify-outbox.jsonl',
  expressLane: new Map([['350802', [{ phone: '13800000000' }]]]),
};
/** An SMS gateway set: its channel sends for real. */
const sms: NotifySettings['sms'] = {
  provider: 'gateway',
  url: 'https://sms.example/send',
  secret: 'sms-secret-0123456789',
  signName: '龙岩矛调',
  templateIds: {},
};
const warnings = (settings: NotifySettings) => {
  const { logger, lines } = capturedLogger('notify');
  warnOfOutboxStandIns(logger, settings);
  return lines.map((line) => JSON.parse(line));
};

describe('channels that write to the outbox file instead of sending', () => {
  it('are named at start in one warning, each with the variable that sends it for real', () => {
    const lines = warnings(bare);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({
      level: 40,
      service: 'notify',
      outboxFile: 'data/notify-outbox.jsonl',
      channels: ['outbox', 'hotline', 'court', 'sms', 'wechat'],
    });
    for (const variable of [
      'AGENCY_WEBHOOKS',
      'HOTLINE_CALLBACKS',
      'COURT_CALLBACKS',
      'SMS_GATEWAY_URL',
      'WECHAT_APPID',
    ])
      expect(line.msg).toContain(`set ${variable}`);
    expect(line.msg).toContain("every department's webhooks");
    expect(line.msg).toContain('data/notify-outbox.jsonl');
    // Channels and variables only: no recipient.
    expect(JSON.stringify(line)).not.toContain('13800000000');
  });

  it('are not warned of when every channel has its sender: a webhook for every department, every provider set', () => {
    const settings: NotifySettings = {
      ...bare,
      webhooks: new Map(
        loadDepartmentDirectory()
          .all()
          .map((department) => [department.code, target]),
      ),
      hotlineCallbacks: new Map([['longyan-12345', target]]),
      courtCallbacks: new Map([['yd-court', target]]),
      sms,
      wechat: {
        account: {
          appId: 'wx0123456789abcdef',
          appSecret: 'app-secret-0123456789',
          apiBase: 'https://api.weixin.qq.com',
        },
        messaging: { api: 'template', templates: {}, linkBase: 'https://huijie.example/progress' },
      },
    };
    expect(warnings(settings)).toEqual([]);
  });

  it('name only what is left out: the departments without a webhook, and no configured provider', () => {
    const settings: NotifySettings = {
      ...bare,
      webhooks: new Map([['350802107-judicial_office', target]]),
      hotlineCallbacks: new Map([['longyan-12345', target]]),
      sms,
    };
    const [line] = warnings(settings);
    expect(line.channels).toEqual(['outbox', 'court', 'wechat']);
    expect(line.msg).toContain('every department but the 1 in AGENCY_WEBHOOKS');
    expect(line.msg).not.toContain('HOTLINE_CALLBACKS');
    expect(line.msg).not.toContain('SMS_GATEWAY_URL');
    // Not where the configured ones are, nor their secrets.
    expect(JSON.stringify(line)).not.toMatch(/agency\.example|secret-0123/);
  });

  it('are exactly the channels notify builds as the outbox file', () => {
    for (const settings of [bare, { ...bare, courtCallbacks: new Map([['yd-court', target]]) }]) {
      const { channels } = buildChannels(settings, memoryTokenStore());
      const standIns = outboxStandIns(settings).map((standIn) => standIn.channel);
      const writingToFile = [...channels]
        .filter(([name, channel]) => name !== 'file' && channel.outboxFile)
        .map(([name]) => name);
      expect(standIns.sort()).toEqual(writingToFile.sort());
    }
  });
});
