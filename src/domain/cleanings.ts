import type {
  CleaningFeedItem,
  CleaningPublic,
  CleaningUpdateInput,
  FeedQuery,
  NewCleaningInput,
} from '../contract/schemas.ts';
import { MAX_DB_ID } from '../contract/schemas.ts';
import type { Checked } from '../contract/validation.ts';
import type { Em } from '../db/orm.ts';
import {
  deleteCleaningRow,
  insertCleaning,
  lockCleaningRow,
  readCleaningRow,
  readCleaningRowsOf,
  readFeedRows,
  readStandingRow,
  updateCleaningFields,
  type CleaningFields,
  type CleaningRow,
  type CleaningWithStandingRow,
} from '../db/queries/cleanings.ts';
import { readOfferRows } from '../db/queries/offers.ts';
import { appendEvents } from '../events/append.ts';
import type { Actor, Deps } from './context.ts';
import { domainError, validationError } from './errors.ts';
import { cleaningPublic, feedItem, NEW_CLEANING, standingOf } from './public-views.ts';

/** Reads a cleaning with its standing, or fails with the original's 404; ids beyond the column cannot exist. */
export async function findCleaningOrFail(em: Em, cleaningId: number): Promise<CleaningWithStandingRow> {
  const row = cleaningId > MAX_DB_ID ? undefined : await readCleaningRow(em, cleaningId);
  if (!row) throw domainError('CLEANING_NOT_FOUND');
  return row;
}

/**
 * Locks the cleaning's row for the rest of the transaction and reads it, or fails with the 404. Every command
 * that changes a cleaning or its offers starts here, so that its checks and writes see one state.
 */
export async function lockCleaning(tx: Em, cleaningId: number): Promise<CleaningRow> {
  const row = cleaningId > MAX_DB_ID ? undefined : await lockCleaningRow(tx, cleaningId);
  if (!row) throw domainError('CLEANING_NOT_FOUND');
  return row;
}

/** The cleaning's fields after an edit that sets only the fields given; `undefined` when nothing really changes. */
function editedFields(
  cleaning: CleaningRow,
  edit: { [K in keyof CleaningFields]?: CleaningFields[K] | undefined },
): CleaningFields | undefined {
  const now: CleaningFields = {
    name: cleaning.name,
    description: cleaning.description,
    cleaning_type: cleaning.cleaning_type,
    price: Number(cleaning.price),
  };
  const next: CleaningFields = {
    name: edit.name ?? now.name,
    description: edit.description === undefined ? now.description : edit.description,
    cleaning_type: edit.cleaning_type ?? now.cleaning_type,
    price: edit.price ?? now.price,
  };
  const changed = (Object.keys(now) as (keyof CleaningFields)[]).some((k) => next[k] !== now[k]);
  return changed ? next : undefined;
}

/** C1: posts a job owned by the caller; the job board hears of it from the log, after commit. */
export async function createCleaning(
  deps: Deps,
  actor: Actor,
  input: NewCleaningInput,
): Promise<CleaningPublic> {
  return deps.em.transactional(async (tx) => {
    const cleaning = await insertCleaning(
      tx,
      actor.id,
      {
        name: input.name,
        description: input.description ?? null,
        price: input.price,
        cleaning_type: input.cleaning_type ?? 'spot_clean',
      },
      new Date().toISOString(),
    );
    await appendEvents(tx, { notices: [{ type: 'cleaning:created', cleaning, standing: NEW_CLEANING }] });
    return cleaningPublic(cleaning, NEW_CLEANING);
  });
}

/** C2: the caller's own cleanings, newest first. */
export async function listOwnCleanings(deps: Deps, actor: Actor): Promise<CleaningPublic[]> {
  const rows = await readCleaningRowsOf(deps.em, actor.id);
  return rows.map((r) => cleaningPublic(r, standingOf(r)));
}

/** C3: any signed-in user may read any cleaning. */
export async function getCleaning(deps: Deps, cleaningId: number): Promise<CleaningPublic> {
  const cleaning = await findCleaningOrFail(deps.em, cleaningId);
  return cleaningPublic(cleaning, standingOf(cleaning));
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
    const cleaning = await lockCleaning(tx, cleaningId);
    if (cleaning.owner !== actor.id) throw domainError('CLEANING_FORBIDDEN');
    // Offers change a standing only under this same row lock, so it holds until commit.
    const standing = standingOf((await readStandingRow(tx, cleaningId))!);
    if (standing.status === 'completed') throw domainError('COMPLETED_CLEANING_LOCKED');
    if (!body.ok) throw validationError(body.issues);
    const input = body.value;
    if (input.cleaning_type === null) throw domainError('CLEANING_TYPE_NULL');
    const fields = editedFields(cleaning, {
      name: input.name,
      description: input.description,
      price: input.price,
      cleaning_type: input.cleaning_type,
    });
    if (!fields) return cleaningPublic(cleaning, standing);
    const edited = { ...cleaning, ...fields, updated_at: new Date().toISOString() };
    await updateCleaningFields(tx, cleaningId, fields, edited.updated_at);
    await appendEvents(tx, { notices: [{ type: 'cleaning:updated', cleaning: edited, standing }] });
    return cleaningPublic(edited, standing);
  });
}

/** C5: the owner deletes their job, with its offers and offer log; answers the deleted id. */
export async function deleteCleaning(deps: Deps, actor: Actor, cleaningId: number): Promise<number> {
  return deps.em.transactional(async (tx) => {
    const cleaning = await lockCleaning(tx, cleaningId);
    if (cleaning.owner !== actor.id) throw domainError('CLEANING_FORBIDDEN');
    const offers = await readOfferRows(tx, cleaningId);
    // The evaluation's foreign key refuses this too; checking first gives the clear 400.
    if (offers.some((o) => o.status === 'completed')) throw domainError('COMPLETED_CLEANING_LOCKED');
    await deleteCleaningRow(tx, cleaningId);
    const offererIds = offers.map((o) => o.user_id);
    await appendEvents(tx, {
      notices: [{ type: 'cleaning:deleted', cleaningId, ownerId: cleaning.owner, offererIds }],
    });
    return cleaningId;
  });
}

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
  const rows = await readFeedRows(deps.em, before, beforeId, query.page_chunk_size);
  return rows.map((r, i) => feedItem(r, i + 1));
}
