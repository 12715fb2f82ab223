import type {
  CleaningFeedItem,
  CleaningPublic,
  CleaningUpdateInput,
  FeedQuery,
  NewCleaningInput,
} from '../contract/schemas.ts';
import { MAX_DB_ID } from '../contract/schemas.ts';
import type { Checked } from '../contract/validation.ts';
import { LockMode } from '@mikro-orm/core';
import { Cleaning, Offer } from '../db/entities/index.ts';
import type { Em } from '../db/orm.ts';
import { appendEvents } from '../events/append.ts';
import type { Actor, Deps } from './context.ts';
import { domainError, validationError } from './errors.ts';
import {
  cleaningPublic,
  cleaningPublicFromRow,
  isoOf,
  NEW_CLEANING,
  userSummary,
  type CleaningRow,
} from './public-views.ts';
import {
  readStanding,
  readStandings,
  standingJoin,
  standingOf,
  type StandingColumns,
} from './cleaning-standing.ts';

/** Loads a cleaning or fails with the original's 404; ids beyond the column's range cannot exist. */
export async function findCleaningOrFail(em: Em, cleaningId: number, options: { lock?: boolean } = {}) {
  if (cleaningId > MAX_DB_ID) throw domainError('CLEANING_NOT_FOUND');
  const cleaning = options.lock
    ? await em.findOne(Cleaning, cleaningId, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })
    : await em.findOne(Cleaning, cleaningId);
  if (!cleaning) throw domainError('CLEANING_NOT_FOUND');
  return cleaning;
}

/** C1: posts a job owned by the caller; the job board hears of it from the log, after commit. */
export async function createCleaning(
  deps: Deps,
  actor: Actor,
  input: NewCleaningInput,
): Promise<CleaningPublic> {
  return deps.em.transactional(async (tx) => {
    const cleaning = tx.create(Cleaning, {
      owner: actor.id,
      name: input.name,
      description: input.description ?? null,
      price: input.price,
      cleaningType: input.cleaning_type ?? 'spot_clean',
    });
    await tx.flush();
    const view = cleaningPublic(cleaning, NEW_CLEANING);
    await appendEvents(tx, { notices: [{ type: 'cleaning:created', cleaning: view }] });
    return view;
  });
}

/** C2: the caller's own cleanings, newest first. */
export async function listOwnCleanings(deps: Deps, actor: Actor): Promise<CleaningPublic[]> {
  const rows = await deps.em.find(
    Cleaning,
    { owner: actor.id },
    { orderBy: { createdAt: 'desc', id: 'desc' } },
  );
  const standings = await readStandings(
    deps.em,
    rows.map((c) => c.id),
  );
  return rows.map((c) => cleaningPublic(c, standings.get(c.id) ?? NEW_CLEANING));
}

/** C3: any signed-in user may read any cleaning. */
export async function getCleaning(deps: Deps, cleaningId: number): Promise<CleaningPublic> {
  const cleaning = await findCleaningOrFail(deps.em, cleaningId);
  return cleaningPublic(cleaning, await readStanding(deps.em, cleaningId));
}

/**
 * C4: the owner edits their job. The body is checked after ownership, because the original answered
 * 403 before 422 for someone else's cleaning.
 */
export async function updateCleaning(
  deps: Deps,
  actor: Actor,
  cleaningId: number,
  body: Checked<CleaningUpdateInput>,
): Promise<CleaningPublic> {
  return deps.em.transactional(async (tx) => {
    const cleaning = await findCleaningOrFail(tx, cleaningId, { lock: true });
    if (!cleaning.isOwnedBy(actor.id)) throw domainError('CLEANING_FORBIDDEN');
    // Offers change a standing only under this same row lock, so it holds until commit.
    const standing = await readStanding(tx, cleaningId);
    if (standing.status === 'completed') throw domainError('COMPLETED_CLEANING_LOCKED');
    if (!body.ok) throw validationError(body.issues);
    const input = body.value;
    if (input.cleaning_type === null) throw domainError('CLEANING_TYPE_NULL');
    const changed = cleaning.applyEdit({
      name: input.name,
      description: input.description,
      price: input.price,
      cleaningType: input.cleaning_type,
    });
    const view = cleaningPublic(cleaning, standing);
    if (changed) await appendEvents(tx, { notices: [{ type: 'cleaning:updated', cleaning: view }] });
    return view;
  });
}

/** C5: the owner deletes their job, with its offers and offer log; answers the deleted id. */
export async function deleteCleaning(deps: Deps, actor: Actor, cleaningId: number): Promise<number> {
  return deps.em.transactional(async (tx) => {
    const cleaning = await findCleaningOrFail(tx, cleaningId, { lock: true });
    if (!cleaning.isOwnedBy(actor.id)) throw domainError('CLEANING_FORBIDDEN');
    const offers = await tx.find(Offer, { cleaningId }, { fields: ['userId', 'status'] });
    // The evaluation's foreign key refuses this too; checking first gives the clear 400.
    if (offers.some((o) => o.status === 'completed')) throw domainError('COMPLETED_CLEANING_LOCKED');
    tx.remove(cleaning);
    const offererIds = offers.map((o) => o.userId);
    await appendEvents(tx, {
      notices: [{ type: 'cleaning:deleted', cleaningId, ownerId: cleaning.owner, offererIds }],
    });
    return cleaningId;
  });
}

type FeedRow = Omit<CleaningRow, 'last_seq'> &
  StandingColumns & {
    event_timestamp: Date | string;
    event_type: 'is_create' | 'is_update';
    username: string;
    full_name: string | null;
    bio: string | null;
    image: string | null;
  };

/**
 * The job board (the original's part 21): creations and edits of everyone's cleanings, newest first.
 * The cursor is (`starting_date`, `starting_id`), compared as a pair, so that pages never skip or repeat.
 */
export async function getCleaningFeed(
  deps: Deps,
  query: FeedQuery,
  now = new Date(),
): Promise<CleaningFeedItem[]> {
  const before = query.starting_date ?? now;
  // Without an id, every event at exactly `before` is excluded (the original's strict `<`), except when
  // the cursor defaulted to now, where "now" itself must be included.
  const beforeId = query.starting_id ?? (query.starting_date ? 0 : MAX_DB_ID);
  const limit = query.page_chunk_size;
  const rows = await deps.em.execute<FeedRow[]>(
    `with page as (
       select * from (
         (select id, created_at as event_timestamp, 'is_create' as event_type from cleanings
           where (created_at, id) < (?::timestamptz, ?::int) order by created_at desc, id desc limit ?)
         union all
         (select id, updated_at, 'is_update' from cleanings
           where updated_at <> created_at and (updated_at, id) < (?::timestamptz, ?::int)
           order by updated_at desc, id desc limit ?)
       ) merged
       order by event_timestamp desc, id desc
       limit ?
     )
     select c.id, c.owner, c.name, c.description, c.cleaning_type, c.price, c.created_at, c.updated_at,
            page.event_timestamp, page.event_type, u.username, p.full_name, p.bio, p.image, standing.*
       from page
       join cleanings c on c.id = page.id
       ${standingJoin('c')}
       join users u on u.id = c.owner
       left join profiles p on p.user_id = u.id
      order by page.event_timestamp desc, page.id desc`,
    [before.toISOString(), beforeId, limit, before.toISOString(), beforeId, limit, limit],
  );
  return rows.map((r, i) => ({
    ...cleaningPublicFromRow(r, standingOf(r)),
    owner: userSummary(
      { id: r.owner, username: r.username },
      { fullName: r.full_name, bio: r.bio, image: r.image },
    ),
    row_number: i + 1,
    event_timestamp: isoOf(r.event_timestamp),
    event_type: r.event_type,
  }));
}
