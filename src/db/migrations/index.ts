import { AccountsAndCleanings } from './0001-accounts-and-cleanings.ts';
import { OffersAndEventLog } from './0002-offers-and-event-log.ts';
import { UserLookupByUsername } from './0003-user-lookup-by-username.ts';
import { EvaluationsAndCompletion } from './0004-evaluations-and-completion.ts';
import { NoticeLog } from './0005-notice-log.ts';
import { WebPush } from './0006-web-push.ts';
import { AccountKeys } from './0007-account-keys.ts';
import { AppendEventsFunction } from './0008-append-events-function.ts';

/** Every migration, in order. Listed by hand so that PostgreSQL and PGlite run exactly the same ones. */
export const migrationsList = [
  { name: '0001-accounts-and-cleanings', class: AccountsAndCleanings },
  { name: '0002-offers-and-event-log', class: OffersAndEventLog },
  { name: '0003-user-lookup-by-username', class: UserLookupByUsername },
  { name: '0004-evaluations-and-completion', class: EvaluationsAndCompletion },
  { name: '0005-notice-log', class: NoticeLog },
  { name: '0006-web-push', class: WebPush },
  { name: '0007-account-keys', class: AccountKeys },
  { name: '0008-append-events-function', class: AppendEventsFunction },
];
