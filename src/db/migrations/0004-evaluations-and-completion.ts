import { Migration } from '@mikro-orm/migrations';

/**
 * Evaluations, and the `completed` offer status they bring. The rules the original left to its routes (one
 * evaluation per job, ratings 0..5, a completed job keeping its record) are the schema's here.
 */
export class EvaluationsAndCompletion extends Migration {
  override name = '0004-evaluations-and-completion';

  override up(): void {
    this.addSql(`alter table offers drop constraint offers_status_check`);
    this.addSql(`
      alter table offers add constraint offers_status_check
        check (status in ('pending', 'accepted', 'rejected', 'cancelled', 'completed'))`);
    // A cleaning has one cleaner at a time, accepted or done: nobody can be accepted on a completed job.
    this.addSql(`drop index offers_one_accepted_per_cleaning`);
    this.addSql(`
      create unique index offers_one_assigned_per_cleaning on offers (cleaning_id)
        where status in ('accepted', 'completed')`);

    this.addSql(`alter table offer_events drop constraint offer_events_type_check`);
    this.addSql(`
      alter table offer_events add constraint offer_events_type_check
        check (type in ('created', 'accepted', 'rejected', 'cancelled', 'pending', 'rescinded', 'completed'))`);

    // The primary key is the cleaning: one evaluation per job, whoever races. The foreign key to the offer
    // keeps the evaluated cleaner's offer (and so the cleaning) from being deleted: a reputation stays.
    this.addSql(`
      create table evaluations (
        cleaning_id integer not null,
        cleaner_id integer not null,
        no_show boolean not null default false,
        headline text,
        comment text,
        professionalism smallint,
        completeness smallint,
        efficiency smallint,
        overall_rating smallint not null,
        created_at timestamptz(3) not null default now(),
        updated_at timestamptz(3) not null default now(),
        constraint evaluations_pkey primary key (cleaning_id),
        constraint evaluations_offer_fkey foreign key (cleaning_id, cleaner_id)
          references offers (cleaning_id, user_id) on delete restrict,
        constraint evaluations_ratings_range check (
          overall_rating between 0 and 5
          and (professionalism is null or professionalism between 0 and 5)
          and (completeness is null or completeness between 0 and 5)
          and (efficiency is null or efficiency between 0 and 5)),
        constraint evaluations_headline_length check (length(headline) <= 200),
        constraint evaluations_comment_length check (length(comment) <= 5000)
      )`);
    // E2 lists a cleaner's evaluations newest first; E3 and the reputations aggregate the same rows.
    this.addSql(
      `create index evaluations_by_cleaner on evaluations (cleaner_id, created_at desc, cleaning_id desc)`,
    );
  }

  override down(): void {
    this.addSql('drop table if exists evaluations');
    this.addSql(`delete from offer_events where type = 'completed'`);
    this.addSql(`alter table offer_events drop constraint offer_events_type_check`);
    this.addSql(`
      alter table offer_events add constraint offer_events_type_check
        check (type in ('created', 'accepted', 'rejected', 'cancelled', 'pending', 'rescinded'))`);
    this.addSql(`drop index offers_one_assigned_per_cleaning`);
    this.addSql(`update offers set status = 'accepted' where status = 'completed'`);
    this.addSql(
      `create unique index offers_one_accepted_per_cleaning on offers (cleaning_id) where status = 'accepted'`,
    );
    this.addSql(`alter table offers drop constraint offers_status_check`);
    this.addSql(`
      alter table offers add constraint offers_status_check
        check (status in ('pending', 'accepted', 'rejected', 'cancelled'))`);
  }
}
