import { defineEntity, p } from '@mikro-orm/core';

const ProfileSchema = defineEntity({
  name: 'Profile',
  tableName: 'profiles',
  properties: {
    id: p.integer().primary().autoincrement(),
    userId: p.integer(),
    fullName: p.text().nullable(),
    phoneNumber: p.text().nullable(),
    bio: p.text().nullable(),
    image: p.text().nullable(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    updatedAt: p
      .datetime(3)
      .onCreate((entity: { createdAt?: Date }) => entity.createdAt ?? new Date())
      .onUpdate(() => new Date()),
  },
});

/** The public part of an account; exactly one per user, created with it. */
export class Profile extends ProfileSchema.class {}
ProfileSchema.setClass(Profile);
export { ProfileSchema };
