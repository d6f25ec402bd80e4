import type { ErrorWording } from '@huijie/service-kit/errors.ts';

/**
 * What a citizen reads when the form's request never reached our code: the body could not be
 * read (too large, not JSON, cut short) or something broke. The form shows the message, so it
 * says what to do next, in Chinese; the status, the stable `code` and the field (`(body)`, or
 * `content-type`) stay the platform's, as every service answers them (frameworkRefusal).
 */
export const citizenErrorWording: ErrorWording = {
  framework(refusal) {
    switch (refusal.kind) {
      case 'body_too_large':
        return unreadable('提交的内容过多，请删减纠纷情况或附件链接后再提交');
      case 'media_type':
        return {
          message: '提交方式不正确，请通过申请页面提交',
          reason: '请通过申请页面提交（内容应为 JSON）',
        };
      case 'invalid_json':
      case 'empty_body':
      case 'length_mismatch':
        return unreadable('提交的内容不完整或无法识别，请在申请页面重新提交');
      default:
        return { message: '请求无法处理，请返回申请页面重试' };
    }
  },
  databaseUnavailable: '暂时无法处理，请稍后重试（您的填写内容不会丢失）',
  internal: '系统暂时出现问题，请稍后重试',
};

const unreadable = (reason: string) => ({ message: '提交的内容无法处理', reason });
