import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Town, TownDirectory } from '../towns.ts';
import type { ApplicantLinks } from '../wechat/applicant-link.ts';
import { esc, sendPage } from './html.ts';

export interface PageOptions {
  towns: TownDirectory;
  links: ApplicantLinks;
  now: () => Date;
}

/**
 * How long a rate-limited citizen is asked to wait, from the Retry-After seconds (ES5: it runs in
 * the page; exported for its test). A day's limit is hours away: "约24小时", not "约1440分钟".
 * Rounded up, so nobody is told to come back before they may.
 */
export const waitTextJs = `
function waitText(retryAfter) {
  var seconds = parseInt(retryAfter, 10);
  if (!(seconds > 0)) return '请稍后再试。';
  if (seconds >= 3600) return '请约' + Math.ceil(seconds / 3600) + '小时后再试。';
  return seconds >= 120 ? '请约' + Math.ceil(seconds / 60) + '分钟后再试。' : '请' + seconds + '秒后再试。';
}`;

/** Shared by both pages: JSON over XMLHttpRequest (WeChat's older in-app browsers), ES5 only. */
const requestJs = `
function send(method, url, body, done) {
  var xhr = new XMLHttpRequest();
  xhr.open(method, url, true);
  xhr.setRequestHeader('accept', 'application/json');
  if (body !== null) xhr.setRequestHeader('content-type', 'application/json');
  xhr.timeout = 20000;
  xhr.onload = function () {
    var data = null;
    try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
    done(xhr.status, data, xhr.getResponseHeader('retry-after'));
  };
  xhr.onerror = xhr.ontimeout = function () { done(0, null, null); };
  xhr.send(body === null ? null : JSON.stringify(body));
}
function $(id) { return document.getElementById(id); }
function show(el, text) { el.textContent = text; el.hidden = !text; }
${waitTextJs}
`;

const applyJs = `
${requestJs}
var form = $('apply');
var general = $('general-error');
function value(name) { return form[name].value; }
function newId() {
  var c = window.crypto || window.msCrypto;
  if (c && c.randomUUID) return c.randomUUID();
  var bytes = new Uint8Array(16), out = '';
  if (c && c.getRandomValues) c.getRandomValues(bytes);
  else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  for (var j = 0; j < 16; j++) out += (bytes[j] + 256).toString(16).slice(1);
  return out;
}
// One id per filled-in form: resending after a network error is the same application.
form.submissionId.value = newId();
// Back from the progress page, the browser restores the typed fields (just before pageshow) but not
// this hidden one. The last sent id is kept for the tab: a restored form reuses it, or a second tap
// would file the same dispute twice.
var sentKey = 'huijie-apply-sent-id';
window.addEventListener('pageshow', function () {
  var sent = null;
  try { sent = sessionStorage.getItem(sentKey); } catch (e) { sent = null; }
  if (sent && value('applicant.name')) form.submissionId.value = sent;
});
// A screen reader hears "invalid" and the reason on the control itself, not only the alert once.
function markInvalid(box, p, invalid) {
  var controls = box.querySelectorAll('input:not([type=radio]),select,textarea,[role=radiogroup]');
  for (var i = 0; i < controls.length; i++) {
    if (invalid) {
      controls[i].setAttribute('aria-invalid', 'true');
      controls[i].setAttribute('aria-describedby', p.id);
    } else {
      controls[i].removeAttribute('aria-invalid');
      controls[i].removeAttribute('aria-describedby');
    }
  }
}
function clearErrors() {
  var shown = form.querySelectorAll('.field');
  for (var i = 0; i < shown.length; i++) {
    shown[i].className = 'field';
    var p = shown[i].querySelector('.error');
    if (p) { show(p, ''); markInvalid(shown[i], p, false); }
  }
  show(general, '');
}
function fieldFor(path) {
  var parts = path.split('.');
  while (parts.length) {
    var el = form.querySelector('[data-field="' + parts.join('.') + '"]');
    if (el) return el;
    parts.pop();
  }
  return null;
}
function showErrors(fields, message) {
  var first = null, unplaced = [];
  for (var i = 0; i < fields.length; i++) {
    var box = fieldFor(fields[i].field);
    if (!box) { unplaced.push(fields[i].reason); continue; }
    box.className = 'field invalid';
    var p = box.querySelector('.error');
    if (p && p.hidden) { show(p, fields[i].reason); markInvalid(box, p, true); }
    if (!first) first = box;
  }
  show(general, unplaced.length ? unplaced.join('；') : message);
  (first || general).scrollIntoView({ block: 'center' });
}
form.onsubmit = function (event) {
  event.preventDefault();
  clearErrors();
  var kind = form.querySelector('input[name="respondent.kind"]:checked');
  var body = {
    submissionId: value('submissionId'),
    townCode: value('townCode'),
    address: value('address'),
    applicant: { name: value('applicant.name'), phone: value('applicant.phone') },
    respondent: { kind: kind ? kind.value : 'person', name: value('respondent.name'), phone: value('respondent.phone') },
    description: value('description'),
    amountClaimed: value('amountClaimed'),
    attachments: value('attachments').split(/\\s+/).filter(function (s) { return s; }),
    agreed: form.agreed.checked,
    wechatRef: value('wechatRef')
  };
  try { sessionStorage.setItem(sentKey, body.submissionId); } catch (e) { /* private mode: no restore */ }
  var button = $('submit');
  button.disabled = true;
  button.textContent = '正在提交…';
  send('POST', '/v1/applications', body, function (status, data, retryAfter) {
    button.disabled = false;
    button.textContent = '提交申请';
    if (status === 202 && data && data.trackingNo) {
      form.hidden = true;
      $('tracking-no').textContent = data.trackingNo;
      $('track-link').href = '/track?no=' + encodeURIComponent(data.trackingNo);
      // What the filed application says, not what the page was opened with: the link may have expired since.
      $('wechat-updates').hidden = !data.wechatUpdates;
      show($('done-notice'), data.notice || '');
      $('done').hidden = false;
      window.scrollTo(0, 0);
      return;
    }
    var error = data && data.error ? data.error : null;
    if (status === 400 && error) return showErrors(error.fields || [], error.message);
    if (status === 429) return showErrors([], '提交太频繁了。' + waitText(retryAfter));
    // Already accepted under this id (an earlier answer was lost): the message names the tracking
    // number. The id stays, so another tap gets the same answer and never files a second application.
    if (status === 409 && error) return showErrors([], error.message);
    showErrors([], (error && error.message) || '网络异常，暂时无法提交。您填写的内容还在，请稍后再点“提交申请”。');
  });
};
`;

const trackJs = `
${requestJs}
var form = $('track');
// The error under the button names one field: that field's input says it is the one in error.
function markInvalid(name) {
  var inputs = [form.trackingNo, form.phoneLast4];
  for (var i = 0; i < inputs.length; i++) {
    if (inputs[i].name === name) {
      inputs[i].setAttribute('aria-invalid', 'true');
      inputs[i].setAttribute('aria-describedby', 'track-error');
    } else {
      inputs[i].removeAttribute('aria-invalid');
      inputs[i].removeAttribute('aria-describedby');
    }
  }
}
form.onsubmit = function (event) {
  event.preventDefault();
  var out = $('result'), err = $('track-error');
  show(err, ''); out.hidden = true; markInvalid(null);
  var no = form.trackingNo.value.replace(/\\s+/g, '').toUpperCase();
  // In the body, never the URL: the number and the digits together open the application.
  send('POST', '/v1/applications/lookup', { trackingNo: no, phoneLast4: form.phoneLast4.value },
    function (status, data, retryAfter) {
      if (status === 200 && data) {
        $('r-no').textContent = data.trackingNo;
        $('r-town').textContent = data.town && data.town.label ? data.town.label : '';
        $('r-received').textContent = new Date(data.receivedAt).toLocaleString('zh-CN');
        $('r-status').textContent = data.statusLabel;
        $('r-at').textContent = new Date(data.statusAt).toLocaleString('zh-CN');
        out.hidden = false;
        return;
      }
      var error = data && data.error ? data.error : null;
      if (status === 429) return show(err, '查询太频繁了。' + waitText(retryAfter));
      if (error && error.fields && error.fields.length) {
        markInvalid(error.fields[0].field);
        return show(err, error.fields[0].reason);
      }
      show(err, (error && error.message) || '网络异常，请稍后再试。');
    });
};
`;

function townOptions(towns: TownDirectory, selected: Town | undefined): string {
  return towns
    .byCounty()
    .map(
      (county) =>
        `<optgroup label="${esc(county.countyName)}">` +
        county.towns
          .map(
            (town) =>
              `<option value="${esc(town.code)}"${town.code === selected?.code ? ' selected' : ''}>${esc(town.name)}</option>`,
          )
          .join('') +
        `</optgroup>`,
    )
    .join('');
}

/**
 * One labelled field with its error line (`e-<path>`, which the script ties to the control). A
 * group of radios has no single control to point a `<label for>` at: its caption is `l-<path>`,
 * for the control to name with `role="radiogroup" aria-labelledby`.
 */
function field(
  path: string,
  label: string,
  control: string,
  options: { required?: boolean; hint?: string; group?: boolean } = {},
) {
  const caption = options.group
    ? `<p class="label${options.required ? ' req' : ''}" id="l-${esc(path)}">${esc(label)}</p>`
    : `<label for="f-${esc(path)}"${options.required ? ' class="req"' : ''}>${esc(label)}</label>`;
  return `<div class="field" data-field="${esc(path)}">
${caption}
${control}${options.hint ? `<p class="hint">${esc(options.hint)}</p>` : ''}
<p class="error" id="e-${esc(path)}" role="alert" hidden></p>
</div>`;
}

/**
 * Without JavaScript (switched off, or the page cut short on a weak signal) the forms cannot be
 * sent: said up front, and again by the page a POST gets. The forms post, so nothing typed
 * (name, phone, last four digits) ends up in a URL, the browser's history or a proxy's log.
 */
const needsScript =
  '本页面需要开启JavaScript才能提交。请在浏览器设置中开启JavaScript后刷新本页，或拨打12345热线申请调解、查询进度。';
const noScriptNotice = `<noscript><p class="notice">${needsScript}</p></noscript>`;

const input = (path: string, attrs = '') =>
  `<input type="text" id="f-${esc(path)}" name="${esc(path)}" ${attrs}>`;

export async function pageRoutes(app: FastifyInstance, options: PageOptions): Promise<void> {
  const { towns } = options;

  // Only these page routes read a form post, and they throw it away unread (never logged).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer' },
    (_request, _body, done) => done(null, undefined),
  );
  const scriptNeeded = (title: string) => async (_request: unknown, reply: FastifyReply) =>
    sendPage(reply, {
      title,
      subtitle: `${towns.cityName}矛盾纠纷多元化解平台`,
      body: `<p class="notice">${needsScript}</p>`,
      script: '',
    });
  app.post('/apply', scriptNeeded('矛盾纠纷调解申请'));
  app.post('/track', scriptNeeded('调解申请进度查询'));

  app.get('/apply', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const asked = typeof query.town === 'string' ? query.town : undefined;
    const town = asked ? towns.get(asked) : undefined;
    // Opened from the account's reply: keep the signed link, so the applicant hears back on WeChat.
    const wechatRef =
      typeof query.wx === 'string' && options.links.check(query.wx, options.now()).valid ? query.wx : '';
    const notice =
      asked && !town
        ? `<p class="notice">二维码中的乡镇（街道）无法识别，请在下方选择纠纷发生地。</p>`
        : town
          ? `<p class="notice">您正在向<strong>${esc(town.label)}</strong>申请调解，申请将交由当地调解员处理。</p>`
          : '';
    const body = `${notice}
${noScriptNotice}
<form id="apply" method="post" action="/apply" novalidate>
<input type="hidden" name="submissionId">
<input type="hidden" name="wechatRef" value="${esc(wechatRef)}">
<fieldset><legend>纠纷发生地</legend>
${field('townCode', '乡镇（街道）', `<select id="f-townCode" name="townCode"><option value="">请选择</option>${townOptions(towns, town)}</select>`, { required: true })}
${field('address', '详细地点', input('address', 'maxlength="200" placeholder="如：某某村某某组、某某小区"'))}
</fieldset>
<fieldset><legend>申请人</legend>
${field('applicant.name', '姓名', input('applicant.name', 'maxlength="50" autocomplete="name"'), { required: true })}
${field('applicant.phone', '手机号码', `<input type="tel" id="f-applicant.phone" name="applicant.phone" maxlength="20" inputmode="tel" autocomplete="tel">`, { required: true, hint: '用于调解员联系您，以及凭后四位查询进度' })}
</fieldset>
<fieldset><legend>对方当事人</legend>
${field('respondent.kind', '对方是', `<div class="choice" role="radiogroup" aria-labelledby="l-respondent.kind"><label><input type="radio" name="respondent.kind" value="person" checked>个人</label><label><input type="radio" name="respondent.kind" value="organisation">单位</label></div>`, { group: true })}
${field('respondent.name', '姓名或单位名称', input('respondent.name', 'maxlength="100" placeholder="不知道全名可填“某某老板”等称呼"'), { required: true })}
${field('respondent.phone', '对方电话', `<input type="tel" id="f-respondent.phone" name="respondent.phone" maxlength="20" inputmode="tel">`)}
</fieldset>
<fieldset><legend>纠纷情况</legend>
${field('description', '发生了什么', `<textarea id="f-description" name="description" maxlength="5000" placeholder="请写明时间、经过、您的诉求，至少10个字"></textarea>`, { required: true })}
${field('amountClaimed', '涉及金额（元）', input('amountClaimed', 'inputmode="decimal" placeholder="如：3800"'))}
${field('attachments', '附件链接', `<textarea id="f-attachments" name="attachments" placeholder="照片、合同等材料的网址，每行一个，最多9个"></textarea>`)}
</fieldset>
<fieldset>
<div class="field agree" data-field="agreed"><label><input type="checkbox" name="agreed" value="yes">我同意将以上信息用于矛盾纠纷调解，仅由承办单位和调解员查看</label><p class="error" id="e-agreed" role="alert" hidden></p></div>
</fieldset>
<p class="error" id="general-error" role="alert" hidden></p>
<button type="submit" id="submit">提交申请</button>
</form>
<section id="done" class="panel" hidden>
<p>您的调解申请已提交。受理编号：</p>
<p class="big" id="tracking-no"></p>
<p>请记下受理编号。调解员会尽快与您联系<span id="wechat-updates" hidden>，办理进度也会通过公众号消息告诉您</span>；您也可以凭受理编号和手机号后四位<a id="track-link" href="/track">查询办理进度</a>。</p>
<p class="notice" id="done-notice" hidden></p>
</section>`;
    return sendPage(reply, {
      title: '矛盾纠纷调解申请',
      subtitle: `${towns.cityName}矛盾纠纷多元化解平台`,
      body,
      script: applyJs,
    });
  });

  app.get('/track', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const no = typeof query.no === 'string' && /^[A-Za-z0-9]{1,20}$/.test(query.no) ? query.no : '';
    const body = `${noScriptNotice}
<form id="track" class="panel" method="post" action="/track" novalidate>
${field('trackingNo', '受理编号', input('trackingNo', `maxlength="20" value="${esc(no)}" autocapitalize="characters"`), { required: true })}
${field('phoneLast4', '手机号后四位', `<input type="tel" id="f-phoneLast4" name="phoneLast4" maxlength="9" inputmode="numeric">`, { required: true })}
<p class="error" id="track-error" role="alert" hidden></p>
<button type="submit">查询</button>
</form>
<section id="result" class="panel" hidden>
<p>受理编号：<strong id="r-no"></strong></p>
<p>纠纷发生地：<span id="r-town"></span></p>
<p>提交时间：<span id="r-received"></span></p>
<p>当前进度：<strong id="r-status"></strong>（<span id="r-at"></span>）</p>
</section>`;
    return sendPage(reply, {
      title: '调解申请进度查询',
      subtitle: `${towns.cityName}矛盾纠纷多元化解平台`,
      body,
      script: trackJs,
    });
  });
}
