import { Migration } from '@mikro-orm/migrations';

/** Users, profiles and cleanings, with the constraints the original left to hope. */
export class AccountsAndCleanings extends Migration {
  override name = '0001-accounts-and-cleanings';

  override up(): void {
    this.addSql(`
      create table users (
        id serial primary key,
        username text not null,
        email text not null,
        email_verified boolean not null default false,
        password_hash text not null,
        is_active boolean not null default true,
        is_superuser boolean not null default false,
        created_at timestamptz(3) not null default now(),
        updated_at timestamptz(3) not null default now(),
        constraint users_username_format check (username ~ '^[a-zA-Z0-9_-]{3,64}$'),
        constraint users_email_format check (email ~ '^[^@]+@[^@]+$' and length(email) <= 320)
      )`);
    this.addSql(`create unique index users_email_unique on users (lower(email))`);
    this.addSql(`create unique index users_username_unique on users (lower(username))`);

    this.addSql(`
      create table profiles (
        id serial primary key,
        user_id integer not null references users (id) on delete cascade,
        full_name text,
        phone_number text,
        bio text,
        image text,
        created_at timestamptz(3) not null default now(),
        updated_at timestamptz(3) not null default now(),
        constraint profiles_user_unique unique (user_id)
      )`);

    this.addSql(`
      create table cleanings (
        id serial primary key,
        owner integer not null references users (id) on delete cascade,
        name text not null,
        description text,
        cleaning_type text not null default 'spot_clean',
        price numeric(10, 5) not null,
        last_seq bigint not null default 0,
        created_at timestamptz(3) not null default now(),
        updated_at timestamptz(3) not null default now(),
        constraint cleanings_cleaning_type_check check (cleaning_type in ('dust_up', 'spot_clean', 'full_clean')),
        constraint cleanings_price_range check (price > 0 and price <= 99999.99),
        constraint cleanings_name_not_blank check (length(btrim(name)) > 0),
        constraint cleanings_last_seq_check check (last_seq >= 0)
      )`);
    this.addSql(`create index cleanings_owner_recent on cleanings (owner, created_at desc, id desc)`);
    // The feed pages through creations and edits, newest first.
    this.addSql(`create index cleanings_created_recent on cleanings (created_at desc, id desc)`);
    this.addSql(
      `create index cleanings_updated_recent on cleanings (updated_at desc, id desc) where updated_at <> created_at`,
    );
  }

  override down(): void {
    this.addSql('drop table if exists cleanings');
    this.addSql('drop table if exists profiles');
    this.addSql('drop table if exists users');
  }
}
