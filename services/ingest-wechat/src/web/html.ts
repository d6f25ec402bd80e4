import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FastifyReply } from 'fastify';

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text into HTML (content or a quoted attribute). */
export function esc(value: string): string {
  return value.replace(/[&<>"']/g, (char) => escapes[char]!);
}

const css = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.6 -apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif;background:#f3f5f7;color:#1d2129}
header{background:#1a5fb4;color:#fff;padding:16px}
header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;font-size:14px;opacity:.9}
main{max-width:640px;margin:0 auto;padding:12px}
fieldset{border:0;background:#fff;border-radius:8px;margin:0 0 12px;padding:12px 16px}
legend{font-weight:600;padding:0;margin-bottom:8px;float:left;width:100%}
legend+*{clear:both}
.field{margin:10px 0}
label,.label{display:block;font-size:15px;margin-bottom:4px}
.req:after{content:" *";color:#d03050}
input[type=text],input[type=tel],select,textarea{width:100%;font-size:16px;padding:10px;border:1px solid #c9cdd4;border-radius:6px;background:#fff;color:inherit}
textarea{min-height:120px;resize:vertical}
.choice{display:flex;gap:16px}
.choice label,.agree label{display:flex;align-items:center;gap:6px;margin:0}
input[type=radio],input[type=checkbox]{width:20px;height:20px}
.hint{font-size:13px;color:#6b7785;margin:4px 0 0}
.error{color:#d03050;font-size:14px;margin:4px 0 0}
.invalid input,.invalid select,.invalid textarea{border-color:#d03050}
button{width:100%;font-size:18px;padding:12px;border:0;border-radius:8px;background:#1a5fb4;color:#fff}
button[disabled]{opacity:.6}
noscript .notice{background:#fde8ec}
.notice{background:#fff4e5;border-radius:8px;padding:10px 14px;margin:0 0 12px;font-size:14px}
.panel{background:#fff;border-radius:8px;padding:16px;margin:0 0 12px}
.big{font-size:24px;font-weight:700;letter-spacing:1px;color:#1a5fb4;word-break:break-all}
a{color:#1a5fb4}
`;

/** A whole page: Chinese, phone-first, one inline style and script allowed by a per-response nonce. */
export function sendPage(
  reply: FastifyReply,
  page: { title: string; subtitle: string; body: string; script: string },
): FastifyReply {
  const nonce = randomBytes(16).toString('base64');
  reply
    .header(
      'content-security-policy',
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; ` +
        `img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    )
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .header('vary', 'Accept-Encoding')
    .type('text/html; charset=utf-8');
  const html = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="format-detection" content="telephone=no">
<title>${esc(page.title)}</title>
<style nonce="${nonce}">${css}</style>
</head>
<body>
<header><h1>${esc(page.title)}</h1><p>${esc(page.subtitle)}</p></header>
<main>
${page.body}
</main>
<script nonce="${nonce}">${page.script}</script>
</body>
</html>`;
  // ~18 KB of Chinese text is ~6 KB gzipped: a third of the wait on a weak rural signal. The nonce
  // makes every page different, so each response is compressed on its own (well under 1 ms).
  if (!acceptsGzip(reply.request.headers['accept-encoding'])) return reply.send(html);
  return reply.header('content-encoding', 'gzip').send(gzipSync(html));
}

/** `gzip` offered and not refused with `q=0` (`*` counts too: RFC 9110 §12.5.3). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const offers = (Array.isArray(header) ? header.join(',') : (header ?? '')).toLowerCase().split(',');
  const q = (name: string) => {
    const offer = offers.map((entry) => entry.split(';')).find(([coding]) => coding?.trim() === name);
    if (!offer) return undefined;
    const weight = offer.slice(1).find((param) => param.trim().startsWith('q='));
    return weight ? Number(weight.trim().slice(2)) : 1;
  };
  const gzip = q('gzip') ?? q('x-gzip') ?? q('*');
  return gzip !== undefined && gzip > 0;
}
