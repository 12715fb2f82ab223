import { defineEntity, p } from '@mikro-orm/core';
import { OFFER_STATUSES, type OfferStatus } from '../../contract/schemas.ts';

const OfferSchema = defineEntity({
  name: 'Offer',
  tableName: 'offers',
  properties: {
    cleaningId: p.integer().primary(),
    userId: p.integer().primary(),
    status: p
      .enum(() => [...OFFER_STATUSES])
      .$type<OfferStatus>()
      .default('pending'),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    updatedAt: p
      .datetime(3)
      .onCreate((entity: { createdAt?: Date }) => entity.createdAt ?? new Date())
      .onUpdate(() => new Date()),
  },
  primaryKeys: ['cleaningId', 'userId'],
});

/** A cleaner's offer on a cleaning; identified by (cleaning, user), as in the original. */
export class Offer extends OfferSchema.class {}
OfferSchema.setClass(Offer);
export { OfferSchema };
