import { defineEntity, p } from '@mikro-orm/core';
import { CLEANING_TYPES, type CleaningType } from '../../contract/schemas.ts';

const CleaningSchema = defineEntity({
  name: 'Cleaning',
  tableName: 'cleanings',
  properties: {
    id: p.integer().primary().autoincrement(),
    owner: p.integer(),
    name: p.text(),
    description: p.text().nullable(),
    cleaningType: p
      .enum(() => [...CLEANING_TYPES])
      .$type<CleaningType>()
      .default('spot_clean'),
    price: p.decimal('number').precision(10).scale(5),
    // The last seq handed out in this cleaning's event log; bumped under the cleaning's row lock.
    lastSeq: p.bigint('number').default(0),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    // Equal to createdAt until a real edit (lastSeq bumps do not count): the feed reads a difference as "the job changed".
    updatedAt: p.datetime(3).onCreate((entity: { createdAt?: Date }) => entity.createdAt ?? new Date()),
  },
});

/** A cleaning job posted by its owner. */
export class Cleaning extends CleaningSchema.class {}
CleaningSchema.setClass(Cleaning);
export { CleaningSchema };
