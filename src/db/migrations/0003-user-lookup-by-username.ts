import { Migration } from '@mikro-orm/migrations';

/**
 * Every authenticated request and socket handshake looks its user up by the token's exact username; the
 * case-insensitive unique index cannot serve `username = ?`, so without this each one scanned all users.
 */
export class UserLookupByUsername extends Migration {
  override name = '0003-user-lookup-by-username';

  override up(): void {
    this.addSql(`create index users_username_exact on users (username)`);
  }

  override down(): void {
    this.addSql('drop index if exists users_username_exact');
  }
}
