import { defineEntity, p } from '@mikro-orm/core';

const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.integer().primary().autoincrement(),
    username: p.text(),
    email: p.text(),
    /** accountKey(username): what the unique index and every lookup by username compare. */
    usernameKey: p.text(),
    /** accountKey(email): what the unique index, every lookup by email and the login limit compare. */
    emailKey: p.text(),
    emailVerified: p.boolean().default(false),
    passwordHash: p.text().hidden(),
    isActive: p.boolean().default(true),
    isSuperuser: p.boolean().default(false),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    updatedAt: p
      .datetime(3)
      .onCreate((entity: { createdAt?: Date }) => entity.createdAt ?? new Date())
      .onUpdate(() => new Date()),
  },
});

/** An account. Usernames and emails are unique by their accountKey (enforced by the schema). */
export class User extends UserSchema.class {}
UserSchema.setClass(User);
export { UserSchema };
