import { Migration } from '@mikro-orm/migrations';

/**
 * Web Push: each browser's subscription, and the outbox of notifications to send, one row per (subscription,
 * offer event), appended in the event's own transaction. Nodes claim due rows with `FOR UPDATE SKIP LOCKED`;
 * a claim is a `next_attempt_at` a few seconds ahead, so the row of a node that dies mid-send falls due again.
 */
export class WebPush extends Migration {
  override name = '0006-web-push';

  override up(): void {
    this.addSql(`
      create table push_subscriptions (
        id bigint generated always as identity primary key,
        user_id integer not null references users (id) on delete cascade,
        endpoint text not null,
        p256dh text not null,
        auth text not null,
        created_at timestamptz(3) not null default now(),
        updated_at timestamptz(3) not null default now(),
        constraint push_subscriptions_endpoint_key unique (endpoint)
      )`);
    // Read on every offer event (who is to be told), and counted against the per-user limit.
    this.addSql(`create index push_subscriptions_by_user on push_subscriptions (user_id)`);

    // No foreign key to offer_events: the outbox is written on every command's hot path, and a row whose event
    // is gone (its cleaning was deleted) is simply dropped when claimed.
    this.addSql(`
      create table push_outbox (
        id bigint generated always as identity primary key,
        subscription_id bigint not null references push_subscriptions (id) on delete cascade,
        cleaning_id integer not null,
        seq bigint not null,
        created_at timestamptz(3) not null,
        attempts integer not null default 0,
        next_attempt_at timestamptz(3) not null default now(),
        claim uuid,
        constraint push_outbox_once unique (subscription_id, cleaning_id, seq)
      )`);
    this.addSql(`create index push_outbox_due on push_outbox (next_attempt_at)`);
  }

  override down(): void {
    this.addSql('drop table if exists push_outbox');
    this.addSql('drop table if exists push_subscriptions');
  }
}
