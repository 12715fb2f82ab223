import { Migration } from '@mikro-orm/migrations';

/**
 * A command's whole append (offer event rows, the cleaning's log position, notice rows, queued Web Push
 * notifications and the announcements) as one function. It does what the statement built in
 * `insertEvents` did, but PL/pgSQL keeps each inner statement's plan for the session. The planned statement
 * cost PostgreSQL about 0.6 ms of CPU per accept, and its push outbox part (an insert that usually finds no
 * subscription) half of that; this costs about 0.4 ms (bench/improvements.md, change 16).
 *
 * Notices are stamped `appended_at`, like the offer events' rows. Announcements are sent in the order given,
 * after the rows; `push_wake` only when a notification was queued. Parameter names do not repeat column names,
 * so that no statement inside reads a parameter for a column.
 */
export class AppendEventsFunction extends Migration {
  override name = '0008-append-events-function';

  override up(): void {
    this.addSql(`
      create function append_events(
        offer_rows jsonb,
        log_cleaning integer,
        log_last_seq bigint,
        notice_rows jsonb,
        push_recipients integer[],
        push_seqs bigint[],
        appended_at timestamptz,
        channel text,
        push_wake text,
        variadic announcements text[]
      ) returns void
      language plpgsql
      as $$
      declare
        announcement text;
      begin
        if offer_rows is not null then
          insert into offer_events (cleaning_id, seq, type, user_id, offer, at)
            select e.cleaning_id, e.seq, e.type, e.user_id, e.offer, e.at
              from jsonb_to_recordset(offer_rows)
                as e(cleaning_id integer, seq bigint, type text, user_id integer, offer jsonb, at timestamptz);
          update cleanings set last_seq = log_last_seq where id = log_cleaning;
        end if;
        if notice_rows is not null then
          insert into notices (id, type, data, at)
            select n.id, n.type, n.data, appended_at
              from jsonb_to_recordset(notice_rows) as n(id uuid, type text, data jsonb);
        end if;
        foreach announcement in array announcements loop
          perform pg_notify(channel, announcement);
        end loop;
        if push_recipients is not null then
          insert into push_outbox (subscription_id, cleaning_id, seq, created_at)
            select s.id, log_cleaning, r.seq, appended_at
              from unnest(push_recipients, push_seqs) as r(user_id, seq)
              join push_subscriptions s on s.user_id = r.user_id;
          if found then
            perform pg_notify(channel, push_wake);
          end if;
        end if;
      end
      $$`);
  }

  override down(): void {
    this.addSql('drop function if exists append_events');
  }
}
