import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { DivisionCode } from '@huijie/contracts/vocabulary.ts';
import { z } from 'zod';

/** A 12345 work order (工单) as the hotline pushes it. */
export const WorkOrder = z.object({
  orderNo: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\w-]+$/, 'letters, digits, "-" and "_" only'),
  receivedAt: z.iso.datetime({ offset: true }),
  title: z.string().max(200).optional(),
  content: z.string().trim().min(1, 'must not be empty').max(20_000),
  caller: z.object({
    name: z.string().max(100).optional(),
    phone: z.string().regex(/^\+?[\d-]{5,20}$/, 'a phone number'),
  }),
  location: z
    .object({ address: z.string().max(500).optional(), divisionCode: DivisionCode.optional() })
    .refine(
      (location) => location.address || location.divisionCode,
      'an address or a division code is required',
    ),
  category: z
    .object({ code: z.string().max(50).optional(), name: z.string().max(100).optional() })
    .optional(),
});
export type WorkOrder = z.infer<typeof WorkOrder>;

/** The work order in the platform's one shape; the hotline's classification is kept as it came. */
export function normaliseWorkOrder(order: WorkOrder): DisputeReceivedV1 {
  const dispute: DisputeReceivedV1 = {
    disputeId: disputeIdFor('hotline_12345', order.orderNo),
    channel: 'hotline_12345',
    sourceRef: order.orderNo,
    revision: 1,
    receivedAt: order.receivedAt,
    content: order.content,
    location: order.location,
    parties: [
      {
        role: 'caller',
        kind: 'person',
        phone: order.caller.phone,
        ...(order.caller.name && { name: order.caller.name }),
      },
    ],
    attachments: [],
  };
  if (order.title) dispute.title = order.title;
  if (order.category) dispute.sourceCategory = { scheme: '12345', ...order.category };
  return dispute;
}
