import type { Town, TownDirectory } from '../towns.ts';
import type { InboundMessage } from './message.ts';
import { cdata } from './xml.ts';

export interface ReplyContext {
  towns: TownDirectory;
  /** The application form's URL, for one town or for any. */
  applyUrl(townCode?: string): string;
}

/** A township QR code's scene is the town's 9-digit division code: "qrscene_350802107" on subscribe, "350802107" on SCAN. */
export function sceneTown(message: InboundMessage, towns: TownDirectory): Town | undefined {
  if (message.kind !== 'event' || message.eventKey === undefined) return undefined;
  if (message.event === 'subscribe') {
    const scene = /^qrscene_(\d{9})$/.exec(message.eventKey)?.[1];
    return scene ? towns.get(scene) : undefined;
  }
  if (message.event === 'SCAN') return towns.get(message.eventKey);
  return undefined;
}

const asksForMediation = /调解|纠纷|矛盾/;

/**
 * What the account answers, as the text of a text reply, or undefined for no reply (WeChat
 * then shows nothing). Pure: the same message always gets the same words.
 */
export function replyText(message: InboundMessage, context: ReplyContext): string | undefined {
  const link = (town?: Town) =>
    `<a href="${context.applyUrl(town?.code)}">${town ? `点此向${town.label}申请调解` : '点此在线申请调解'}</a>`;
  if (message.kind === 'event') {
    const town = sceneTown(message, context.towns);
    if (town) {
      return `您好，这里是${context.towns.cityName}矛盾纠纷多元化解平台。您扫描的是${town.label}的调解申请码。\n${link(town)}，提交后会得到受理编号，可凭编号查询进度。`;
    }
    if (message.event === 'subscribe' || message.event === 'SCAN') {
      return `您好，欢迎关注${context.towns.cityName}矛盾纠纷多元化解平台。遇到矛盾纠纷，可以在线申请调解：\n${link()}`;
    }
    return undefined;
  }
  if (message.kind === 'text') {
    if (asksForMediation.test(message.content)) {
      return `您可以在线提交调解申请，我们会交由纠纷发生地的调解员处理：\n${link()}`;
    }
    return `如需申请矛盾纠纷调解，请回复“调解”，或扫描所在乡镇（街道）的调解申请码。`;
  }
  return undefined;
}

/** A passive text reply: from the account to the user who wrote. */
export function textReplyXml(message: InboundMessage, text: string, now: Date): string {
  return (
    `<xml><ToUserName>${cdata(message.from)}</ToUserName><FromUserName>${cdata(message.to)}</FromUserName>` +
    `<CreateTime>${Math.floor(now.getTime() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType>` +
    `<Content>${cdata(text)}</Content></xml>`
  );
}
