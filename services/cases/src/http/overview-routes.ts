import { route } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { loadOverviewAsset, overviewAssetNames, renderOverviewPage } from '../overview/page.ts';

/**
 * The one-screen overview (一屏统览): a page for leaders and operators. It holds no data of its
 * own: signed in with the operator's account, it reads the statistics and search APIs, which
 * enforce the operator's jurisdiction.
 */
export function overviewRoutes(app: FastifyInstance) {
  route(
    app,
    {
      method: 'GET',
      url: '/overview',
      summary:
        'The one-screen overview page (一屏统览, HTML): sign in, then figures, drill-down, trends and the express lane of your jurisdiction',
      tags: ['overview'],
    },
    async ({ reply }) => {
      const page = renderOverviewPage();
      return reply
        .header('content-security-policy', page.contentSecurityPolicy)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(page.html);
    },
  );

  route(
    app,
    {
      method: 'GET',
      url: '/overview/assets/:name',
      summary: "The overview page's script, style sheet and charting library (Chart.js)",
      tags: ['overview'],
      params: z.object({ name: z.enum(overviewAssetNames) }),
    },
    async ({ params, request, reply }) => {
      const asset = loadOverviewAsset(params.name);
      if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-cache')
        .header('etag', asset.etag)
        .type(asset.type)
        .send(asset.body);
    },
  );
}
