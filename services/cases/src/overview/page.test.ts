import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overviewRoutes } from '../http/overview-routes.ts';
import { overviewBootData } from './page.ts';

describe('the overview page as served', () => {
  const app = Fastify();
  beforeAll(async () => {
    overviewRoutes(app);
    await app.ready();
  });
  afterAll(() => app.close());

  it('is a Chinese page whose only scripts are its own files, under a strict CSP', async () => {
    const response = await app.inject({ url: '/overview' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(response.headers['cache-control']).toBe('no-store');
    const html = response.body;
    expect(html).toContain('<html lang="zh-CN">');
    // Every script is a file of the page (the JSON data block does not run).
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((match) => match[1]!);
    for (const attributes of scripts) {
      expect(
        attributes.includes('src="/overview/assets/') || attributes.includes('type="application/json"'),
      ).toBe(true);
    }
    // Every asset the page names is served.
    for (const [, path] of html.matchAll(/(?:src|href)="(\/overview\/assets\/[^"]+)"/g)) {
      const asset = await app.inject({ url: path! });
      expect(asset.statusCode, path).toBe(200);
      expect(asset.body.length, path).toBeGreaterThan(1000);
    }
  });

  it('names every division of the city and the labels, in a data block nothing can break out of', async () => {
    const boot = overviewBootData();
    expect(boot.city).toEqual({ code: '350800', name: '龙岩市' });
    expect(boot.counties).toHaveLength(7);
    expect(boot.towns).toHaveLength(133);
    expect(boot.labels.category['labor']).toBe('劳动争议纠纷');
    const html = (await app.inject({ url: '/overview' })).body;
    const block = /<script type="application\/json" id="boot">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(block).not.toContain('<');
    expect(JSON.parse(block)).toEqual(boot);
  });

  it('serves Chart.js from the pinned package, and answers a revalidation with 304', async () => {
    const chart = await app.inject({ url: '/overview/assets/chart.umd.min.js' });
    expect(chart.statusCode).toBe(200);
    expect(chart.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(chart.body).toContain('4.6.1');
    const again = await app.inject({
      url: '/overview/assets/chart.umd.min.js',
      headers: { 'if-none-match': String(chart.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
  });

  it('serves nothing else from its folders', async () => {
    for (const name of ['page.ts', '..%2Fpage.ts', 'model.d.ts', 'chart.js']) {
      expect((await app.inject({ url: `/overview/assets/${name}` })).statusCode, name).toBe(400);
    }
  });
});
