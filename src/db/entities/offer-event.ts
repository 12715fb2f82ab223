import { defineEntity, p } from '@mikro-orm/core';
import { OFFER_EVENT_TYPES, type OfferEventType } from '../../contract/schemas.ts';

const OfferEventSchema = defineEntity({
  name: 'OfferEvent',
  tableName: 'offer_events',
  properties: {
    cleaningId: p.integer().primary(),
    seq: p.bigint('number').primary(),
    type: p.enum(() => [...OFFER_EVENT_TYPES]).$type<OfferEventType>(),
    userId: p.integer(),
    // The offer's own data when the event happened, in a versioned record (src/events/stored-events.ts).
    offer: p.json<Record<string, unknown>>().nullable(),
    at: p.datetime(3).onCreate(() => new Date()),
  },
  primaryKeys: ['cleaningId', 'seq'],
});

/** One row of a cleaning's append-only offer log. Rows are never updated. */
export class OfferEvent extends OfferEventSchema.class {}
OfferEventSchema.setClass(OfferEvent);
export { OfferEventSchema };
