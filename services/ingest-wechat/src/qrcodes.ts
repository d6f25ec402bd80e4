import { AppError, badRequest } from '@huijie/service-kit/errors.ts';
import type { FastifyInstance } from 'fastify';
import QRCode from 'qrcode';
import type { TownDirectory } from './towns.ts';

export interface QrRoutesOptions {
  towns: TownDirectory;
  applyUrl(townCode: string): string;
}

/**
 * A township's entry code, for printing at its office: it opens the application form with
 * the town already chosen. Error correction Q survives a worn or partly covered print.
 */
export async function qrCodeRoutes(app: FastifyInstance, options: QrRoutesOptions): Promise<void> {
  app.get('/v1/qrcodes/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    const match = /^(\d{9})\.(svg|png)$/.exec(file);
    const town = match ? options.towns.get(match[1]!) : undefined;
    if (!match || !town) {
      throw new AppError(
        404,
        'not_found',
        `no township QR code ${file}: use /v1/qrcodes/<9-digit town code>.svg or .png`,
        [{ field: 'townCode', reason: 'not a town of this city' }],
      );
    }
    const url = options.applyUrl(town.code);
    reply
      .header('cache-control', 'public, max-age=86400')
      .header('content-disposition', `inline; filename="${town.code}.${match[2]}"`);
    if (match[2] === 'svg') {
      const svg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'Q', margin: 4 });
      return reply.type('image/svg+xml; charset=utf-8').send(svg);
    }
    const query = request.query as Record<string, unknown>;
    const size = query.size === undefined ? 600 : Number(query.size);
    if (!Number.isInteger(size) || size < 100 || size > 2000) {
      throw badRequest([{ field: 'size', reason: 'an integer from 100 to 2000 (pixels)' }]);
    }
    const png = await QRCode.toBuffer(url, {
      type: 'png',
      errorCorrectionLevel: 'Q',
      margin: 4,
      width: size,
    });
    return reply.type('image/png').send(png);
  });
}
