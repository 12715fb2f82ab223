import { Migration } from '@mikro-orm/migrations';

/**
 * The log of notices (job-board changes, closed accounts): appended in the change's transaction like offer
 * events, so that every push comes from a committed row. No foreign keys: a deleted cleaning's notice stays.
 */
export class NoticeLog extends Migration {
  override name = '0005-notice-log';

  override up(): void {
    // `id` is made by the appender, so the announcement carries it without a round trip; `position` orders a
    // catch-up (a cleaning's notices are appended under its row lock, so their positions follow commit order).
    this.addSql(`
      create table notices (
        id uuid primary key,
        position bigint generated always as identity,
        type text not null,
        data jsonb not null,
        at timestamptz(3) not null default now(),
        constraint notices_type_check check (type in ('cleaning:created', 'cleaning:updated', 'cleaning:assigned',
          'cleaning:reopened', 'cleaning:completed', 'cleaning:deleted', 'session:closed'))
      )`);
    this.addSql(`create unique index notices_position on notices (position)`);
    // Only a node catching up after a lost connection searches by time; BRIN costs next to nothing on insert.
    this.addSql(`create index notices_at on notices using brin (at)`);
  }

  override down(): void {
    this.addSql('drop table if exists notices');
  }
}
