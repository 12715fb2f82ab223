import { Migration } from '@mikro-orm/migrations';

/** Offers, with the marketplace's invariants in the schema, and the append-only offer log. */
export class OffersAndEventLog extends Migration {
  override name = '0002-offers-and-event-log';

  override up(): void {
    this.addSql(`
      create table offers (
        cleaning_id integer not null references cleanings (id) on delete cascade,
        user_id integer not null references users (id) on delete cascade,
        status text not null default 'pending',
        created_at timestamptz(3) not null default now(),
        updated_at timestamptz(3) not null default now(),
        constraint offers_pkey primary key (cleaning_id, user_id),
        constraint offers_status_check check (status in ('pending', 'accepted', 'rejected', 'cancelled'))
      )`);
    // The rule that matters most: a cleaning has at most one accepted offer, whatever the code does.
    this.addSql(
      `create unique index offers_one_accepted_per_cleaning on offers (cleaning_id) where status = 'accepted'`,
    );
    this.addSql(`create index offers_by_user on offers (user_id, created_at desc, cleaning_id desc)`);

    // user_id is not a foreign key: the log is history and must stay gapless even if an account goes away.
    this.addSql(`
      create table offer_events (
        cleaning_id integer not null references cleanings (id) on delete cascade,
        seq bigint not null,
        type text not null,
        user_id integer not null,
        offer jsonb,
        at timestamptz(3) not null default now(),
        constraint offer_events_pkey primary key (cleaning_id, seq),
        constraint offer_events_seq_positive check (seq > 0),
        constraint offer_events_type_check
          check (type in ('created', 'accepted', 'rejected', 'cancelled', 'pending', 'rescinded')),
        constraint offer_events_offer_presence check ((type = 'rescinded') = (offer is null))
      )`);
    this.addSql(`create index offer_events_by_user on offer_events (cleaning_id, user_id, seq)`);
    // Only a node catching up after a lost connection searches by time; BRIN costs next to nothing on insert.
    this.addSql(`create index offer_events_at on offer_events using brin (at)`);
  }

  override down(): void {
    this.addSql('drop table if exists offer_events');
    this.addSql('drop table if exists offers');
  }
}
