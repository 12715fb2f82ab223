import { Migration } from '@mikro-orm/migrations';
import { accountKey } from '../../domain/account-keys.ts';

/** Rows keyed per statement while filling the keys of existing accounts. */
const BATCH = 1000;

/**
 * Emails and usernames are unique, looked up and rate-limited by one key (see accountKey) kept beside them, in
 * place of PostgreSQL's lower(), which folds some characters differently from the login limit ('İ', 'ß', 'K').
 * The keys of existing accounts are computed here by the same function as the application's, not approximated
 * in SQL, so that no row needs fixing later. Two existing accounts whose keys clash stop the migration at the
 * unique index (PostgreSQL's message names the key) rather than have one of them renamed silently.
 */
export class AccountKeys extends Migration {
  override name = '0007-account-keys';

  override async up(): Promise<void> {
    await this.execute('alter table users add column email_key text, add column username_key text');
    for (let after = 0; ;) {
      const rows = (await this.execute(
        'select id, email, username from users where id > ? order by id limit ?',
        [after, BATCH],
      )) as { id: number; email: string; username: string }[];
      if (rows.length === 0) break;
      const keys = rows.map((r) => ({
        id: r.id,
        email_key: accountKey(r.email),
        username_key: accountKey(r.username),
      }));
      await this.execute(
        `update users set email_key = k.email_key, username_key = k.username_key
           from jsonb_to_recordset(?::jsonb) as k (id int, email_key text, username_key text)
          where users.id = k.id`,
        [JSON.stringify(keys)],
      );
      after = rows.at(-1)!.id;
    }
    this.addSql(
      'alter table users alter column email_key set not null, alter column username_key set not null',
    );
    this.addSql('drop index users_email_unique');
    this.addSql('drop index users_username_unique');
    this.addSql('create unique index users_email_unique on users (email_key)');
    this.addSql('create unique index users_username_unique on users (username_key)');
  }

  override down(): void {
    this.addSql('drop index users_email_unique');
    this.addSql('drop index users_username_unique');
    this.addSql('create unique index users_email_unique on users (lower(email))');
    this.addSql('create unique index users_username_unique on users (lower(username))');
    this.addSql('alter table users drop column email_key, drop column username_key');
  }
}
