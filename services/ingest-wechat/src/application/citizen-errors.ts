import type { ErrorWording } from '@huijie/service-kit/errors.ts';

/**
 * What a citizen reads when the form's request never reached our code: the body could not be
 * read (too large, not JSON, cut short) or something broke. The form shows the message, so it
 * says what to do next, in Chinese; the status and the stable `code` stay as Fastify gave them.
 */
export const citizenErrorWording: ErrorWording = {
  framework(error) {
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return unreadable('提交的内容过多，请删减纠纷情况或附件链接后再提交');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return {
          message: '提交方式不正确，请通过申请页面提交',
          fields: [{ field: 'content-type', reason: '请通过申请页面提交（内容应为 JSON）' }],
        };
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return unreadable('提交的内容不完整或无法识别，请在申请页面重新提交');
      default:
        return { message: '请求无法处理，请返回申请页面重试', fields: [] };
    }
  },
  databaseUnavailable: '暂时无法处理，请稍后重试（您的填写内容不会丢失）',
  internal: '系统暂时出现问题，请稍后重试',
};

const unreadable = (reason: string) => ({
  message: '提交的内容无法处理',
  fields: [{ field: '(body)', reason }],
});
