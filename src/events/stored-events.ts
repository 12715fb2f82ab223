// What the log stores: each event's own data, in a versioned record, never a wire shape, so that renaming a
// wire field rewrites no history. The wire shape is built when an event is read, by the one mapper of its type
// (src/domain/public-views.ts). A record of an older version is first read into the current one here.
//
// Versions. 0 (rows written before versioning, no `v`): `offer_events.offer` held the wire `OfferPublic` and
// a cleaning notice's `data` held `{cleaning: CleaningPublic}`. 1: the records below.
import type { OfferStatus } from '../contract/schemas.ts';
import type { CleaningColumns, CleaningStanding } from '../db/queries/cleanings.ts';
import type { EvaluationRow } from '../db/queries/evaluations.ts';
import type { Notice } from './notices.ts';
import { isoTimestamp } from '../db/timestamps.ts';

/** An offer event's offer: its row's columns when the event happened, and the evaluation that completed it. */
export type OfferRecord = {
  v: 1;
  status: OfferStatus;
  created_at: Date | string;
  updated_at: Date | string;
  evaluation?: EvaluationRow;
};

/** A notice's data as stored (its type has a column of its own). */
export type NoticeRecord = { v: 1 } & DistributiveOmit<Notice, 'type'>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const parsed = (stored: unknown): unknown => (typeof stored === 'string' ? JSON.parse(stored) : stored);

/** An offer event's stored offer, of any version, as the current record. */
export function offerRecordOf(stored: unknown): OfferRecord {
  const record = parsed(stored) as Partial<OfferRecord> & { v?: number };
  if (record.v === 1) return record as OfferRecord;
  // Version 0: the wire offer of its day, whose fields then had the columns' names.
  return offerRecord(record as OfferRecord);
}

/** A notice's stored data, of any version, with its type, as the current notice. */
export function noticeOf(type: string, stored: unknown): Notice {
  const data = parsed(stored) as { v?: number; cleaning?: CleaningColumns & Partial<CleaningStanding> };
  if (data.v === undefined && data.cleaning && 'status' in data.cleaning) {
    // Version 0: the cleaning's wire shape, which carried its standing.
    const { status, total_offers, ...cleaning } = data.cleaning;
    return { type, cleaning, standing: { status, total_offers } } as Notice;
  }
  const { v: _version, ...rest } = data;
  return { type, ...rest } as Notice;
}

/**
 * An offer's record as the log stores it: only the event's own fields, whatever else the caller's row holds,
 * and timestamps in ISO form, whichever way the driver returned them.
 */
export function offerRecord(offer: Omit<OfferRecord, 'v'>): OfferRecord {
  const { status, created_at, updated_at, evaluation } = offer;
  return {
    v: 1,
    status,
    created_at: isoTimestamp(created_at),
    updated_at: isoTimestamp(updated_at),
    ...(evaluation
      ? {
          evaluation: {
            ...evaluation,
            created_at: isoTimestamp(evaluation.created_at),
            updated_at: isoTimestamp(evaluation.updated_at),
          },
        }
      : {}),
  };
}

/** A notice's data as the log stores it: for a cleaning, its own columns only (not its log position). */
export function noticeRecord(notice: Notice): NoticeRecord {
  if ('cleaning' in notice) {
    const { id, owner, name, description, cleaning_type, price, created_at, updated_at } = notice.cleaning;
    const cleaning = {
      ...{ id, owner, name, description, cleaning_type, price },
      ...{ created_at: isoTimestamp(created_at), updated_at: isoTimestamp(updated_at) },
    };
    return { v: 1, cleaning, standing: notice.standing };
  }
  const { type: _type, ...data } = notice;
  return { v: 1, ...data };
}
