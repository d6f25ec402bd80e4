import { gunzipSync } from 'node:zlib';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { acceptsGzip } from '../src/web/html.ts';
import { applicantLinks } from '../src/wechat/applicant-link.ts';
import { testApp, testWechat } from './support.ts';

// jsqr is CommonJS with an ES-style `export default` in its types: take whichever the loader hands over.
type Decode = typeof jsQRModule.default;
const jsQR = ((jsQRModule as unknown as { default?: Decode }).default ?? jsQRModule) as Decode;

const { app } = testApp();
afterAll(() => app.close());

function decodePng(data: Buffer): string | undefined {
  const image = PNG.sync.read(data);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
}

describe('township QR codes', () => {
  it('the PNG encodes the town’s application URL', async () => {
    const response = await app.inject({ url: '/v1/qrcodes/350802107.png' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/png');
    expect(decodePng(response.rawPayload)).toBe('https://tiaojie.example.cn/apply?town=350802107');
    const small = await app.inject({ url: '/v1/qrcodes/350803102.png?size=200' });
    const image = PNG.sync.read(small.rawPayload);
    expect(image.width).toBe(200);
    expect(decodePng(small.rawPayload)).toBe('https://tiaojie.example.cn/apply?town=350803102');
  });

  it('the SVG is the same code, as vector paths for print', async () => {
    const response = await app.inject({ url: '/v1/qrcodes/350802107.svg' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    expect(response.body).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 (\d+) \1"/);
    expect(response.body).toContain('<path');
  });

  it('an unknown town, a county code or another format is a 404 in the error shape', async () => {
    for (const file of ['350802999.svg', '110101001.png', '350802.svg', '350802107.gif', 'x']) {
      const response = await app.inject({ url: `/v1/qrcodes/${file}` });
      expect(response.statusCode, file).toBe(404);
      expect(response.json().error).toMatchObject({ code: 'not_found', fields: [{ field: 'townCode' }] });
    }
    const size = await app.inject({ url: '/v1/qrcodes/350802107.png?size=5' });
    expect(size.statusCode).toBe(400);
    expect(size.json().error.fields[0].field).toBe('size');
  });
});

describe('the application page', () => {
  it('is Chinese, phone-first, with the QR code’s town chosen', async () => {
    const response = await app.inject({ url: '/apply?town=350802107' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('<html lang="zh-CN">');
    expect(response.body).toContain('name="viewport"');
    expect(response.body).toContain('<option value="350802107" selected>江山镇</option>');
    expect(response.body).toContain('您正在向<strong>新罗区江山镇</strong>申请调解');
    expect(response.body.match(/<option value="\d{9}"/g)).toHaveLength(133);
  });

  it('allows only its own nonce-tagged script and style', async () => {
    const response = await app.inject({ url: '/apply' });
    const csp = String(response.headers['content-security-policy']);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(response.body).toContain(`<script nonce="${nonce}">`);
    expect(response.body).not.toMatch(/ style="/);
    const next = await app.inject({ url: '/apply' });
    expect(next.headers['content-security-policy']).not.toBe(csp);
  });

  it('an unknown town asks the citizen to choose; nothing from the query reaches the page unescaped', async () => {
    const response = await app.inject({
      url: `/apply?town=${encodeURIComponent('"><script>alert(1)</script>')}`,
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('无法识别');
    expect(response.body).not.toContain('<script>alert(1)');
    expect(response.body).not.toContain(' selected>');
    const track = await app.inject({ url: `/track?no=${encodeURIComponent('"><b>x')}` });
    expect(track.body).not.toContain('"><b>x');
  });

  it('keeps a valid signed WeChat link in the form, and drops a forged one', async () => {
    const token = applicantLinks(`${testWechat.appId}:${testWechat.token}`).sign('oGuo123', new Date());
    const valid = await app.inject({ url: `/apply?town=350802107&wx=${encodeURIComponent(token)}` });
    expect(valid.body).toContain(`<input type="hidden" name="wechatRef" value="${token}">`);
    const forged = await app.inject({ url: `/apply?town=350802107&wx=${encodeURIComponent(`x${token}`)}` });
    expect(forged.body).toContain('<input type="hidden" name="wechatRef" value="">');
  });

  it('every field the API can name has a place next to it in the form', async () => {
    const body = (await app.inject({ url: '/apply' })).body;
    for (const field of [
      'townCode',
      'address',
      'applicant.name',
      'applicant.phone',
      'respondent.kind',
      'respondent.name',
      'respondent.phone',
      'description',
      'amountClaimed',
      'attachments',
      'agreed',
    ]) {
      expect(body, field).toContain(`data-field="${field}"`);
    }
  });

  it('every label names an element of the page, and every field’s error has an id to point to', async () => {
    for (const url of ['/apply', '/track']) {
      const body = (await app.inject({ url })).body;
      const ids = new Set([...body.matchAll(/ id="([^"]+)"/g)].map((match) => match[1]));
      const pointers = [...body.matchAll(/ (?:for|aria-labelledby)="([^"]+)"/g)].map((match) => match[1]);
      expect(pointers.length, url).toBeGreaterThan(1);
      for (const id of pointers) expect(ids, `${url}: ${id}`).toContain(id);
      for (const [, path] of body.matchAll(/<div class="field[^"]*" data-field="([^"]+)"/g))
        expect(ids, `${url}: ${path}`).toContain(`e-${path}`);
    }
    expect((await app.inject({ url: '/apply' })).body).toContain(
      '<div class="choice" role="radiogroup" aria-labelledby="l-respondent.kind">',
    );
  });

  it('without JavaScript the forms post, and the answer asks for JavaScript or 12345 without echoing what was typed', async () => {
    for (const url of ['/apply', '/track']) {
      const page = (await app.inject({ url })).body;
      // A form with no method would GET itself with every field in the URL and the history.
      expect(page, url).toContain(`method="post" action="${url}"`);
      expect(page, url).toMatch(/<noscript><p class="notice">[^<]*JavaScript[^<]*12345/);
      const sent = await app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          'applicant.name': '郭某',
          'applicant.phone': '13800001234',
          trackingNo: 'WX23456789ABCD',
          phoneLast4: '1234',
        }).toString(),
      });
      expect(sent.statusCode, url).toBe(200);
      expect(sent.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(sent.body).toContain('开启JavaScript');
      expect(sent.body).toContain('12345热线');
      for (const typed of ['郭某', '13800001234', 'WX23456789ABCD']) expect(sent.body).not.toContain(typed);
    }
  });

  it('is sent gzipped to a browser that accepts it, nonce and all', async () => {
    for (const url of ['/apply?town=350802107', '/track']) {
      const plain = await app.inject({ url });
      const zipped = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(zipped.headers['content-encoding'], url).toBe('gzip');
      expect(zipped.headers.vary).toMatch(/accept-encoding/i);
      expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
      const html = gunzipSync(zipped.rawPayload).toString('utf8');
      const nonce = /script-src 'nonce-([^']+)'/.exec(String(zipped.headers['content-security-policy']))?.[1];
      expect(html).toContain(`<script nonce="${nonce}">`);
      expect(html.length).toBe(plain.body.replace(/nonce="[^"]+"/g, `nonce="${nonce}"`).length);
    }
    expect(acceptsGzip('gzip;q=0, deflate')).toBe(false);
    expect(acceptsGzip('br, *;q=0.1')).toBe(true);
    expect(acceptsGzip('identity')).toBe(false);
  });
});
