import { defineEntity, p } from '@mikro-orm/core';
import { OFFER_EVENT_TYPES, type OfferEventType, type OfferPublic } from '../../contract/schemas.ts';

const OfferEventSchema = defineEntity({
  name: 'OfferEvent',
  tableName: 'offer_events',
  properties: {
    cleaningId: p.integer().primary(),
    seq: p.bigint('number').primary(),
    type: p.enum(() => [...OFFER_EVENT_TYPES]).$type<OfferEventType>(),
    userId: p.integer(),
    offer: p.json<OfferPublic>().nullable(),
    at: p.datetime(3).onCreate(() => new Date()),
  },
  primaryKeys: ['cleaningId', 'seq'],
});

/** One row of a cleaning's append-only offer log. Rows are never updated. */
export class OfferEvent extends OfferEventSchema.class {}
OfferEventSchema.setClass(OfferEvent);
export { OfferEventSchema };
