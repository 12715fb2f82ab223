// The one place where rows become wire shapes (snake_case, ISO timestamps): one mapper per wire type, used by
// every answer and push of that type, replays of the log included.
import type {
  AccessToken,
  CleaningFeedItem,
  CleaningPublic,
  EvaluationPublic,
  EvaluationStats,
  MyOffer,
  Offerer,
  OfferEventPublic,
  OfferPublic,
  ProfilePublic,
  UserPublic,
  UserSummary,
} from '../contract/schemas.ts';
import type { CleaningColumns, CleaningStanding, FeedRow, StandingColumns } from '../db/queries/cleanings.ts';
import type { EvaluationRow, EvaluationStatsRow, ReputationColumns } from '../db/queries/evaluations.ts';
import type { OfferEventRow } from '../db/queries/event-log.ts';
import type { MyOfferRow, OfferRow, OfferWithOffererRow } from '../db/queries/offers.ts';
import type { Account, ProfileColumns } from '../db/queries/users.ts';
import { offerRecordOf } from '../events/stored-events.ts';
import { isoTimestamp } from '../db/timestamps.ts';

export function profilePublic(
  profile: ProfileColumns,
  owner?: { username: string; email: string | null },
): ProfilePublic {
  return {
    id: profile.id,
    created_at: isoTimestamp(profile.createdAt),
    updated_at: isoTimestamp(profile.updatedAt),
    full_name: profile.fullName ?? null,
    phone_number: profile.phoneNumber ?? null,
    bio: profile.bio ?? null,
    image: profile.image ?? null,
    user_id: profile.userId,
    username: owner?.username ?? null,
    email: owner?.email ?? null,
  };
}

/** An account as its owner sees it: an entity (just registered) or the account authentication read. */
export function userPublic(
  user: Account,
  profile: ProfileColumns | null,
  accessToken: AccessToken | null = null,
): UserPublic {
  return {
    id: user.id,
    created_at: isoTimestamp(user.createdAt),
    updated_at: isoTimestamp(user.updatedAt),
    email: user.email,
    username: user.username,
    email_verified: user.emailVerified,
    is_active: user.isActive,
    is_superuser: user.isSuperuser,
    access_token: accessToken,
    profile: profile ? profilePublic(profile) : null,
  };
}

/** How other people see a user: no email, no account flags. */
export function userSummary(
  user: { id: number; username: string },
  profile: { full_name?: string | null; bio?: string | null; image?: string | null } | null,
): UserSummary {
  return {
    id: user.id,
    username: user.username,
    profile: profile
      ? { full_name: profile.full_name ?? null, bio: profile.bio ?? null, image: profile.image ?? null }
      : null,
  };
}

/** A cleaner's track record, as the wire's reputation fields. */
export function reputation(r: ReputationColumns): Pick<Offerer, 'total_evaluations' | 'avg_overall_rating'> {
  return {
    total_evaluations: Number(r.total_evaluations),
    avg_overall_rating: r.avg_overall_rating === null ? null : Number(r.avg_overall_rating),
  };
}

/** An offerer as the cleaning's owner sees them: public data and track record. */
export function offerer(r: OfferWithOffererRow): Offerer {
  return {
    ...userSummary({ id: r.user_id, username: r.username }, r.has_profile ? r : null),
    ...reputation(r),
  };
}

/** A cleaning nobody has offered on yet. */
export const NEW_CLEANING: CleaningStanding = { status: 'open', total_offers: 0 };

/** A cleaning's standing, from the columns `standingJoin` adds. */
export const standingOf = (r: StandingColumns): CleaningStanding => ({
  status: r.standing_status,
  total_offers: Number(r.standing_total_offers),
});

export function cleaningPublic(r: CleaningColumns, standing: CleaningStanding): CleaningPublic {
  return {
    id: r.id,
    created_at: isoTimestamp(r.created_at),
    updated_at: isoTimestamp(r.updated_at),
    name: r.name,
    description: r.description ?? null,
    price: Number(r.price),
    cleaning_type: r.cleaning_type,
    owner: r.owner,
    status: standing.status,
    total_offers: Number(standing.total_offers),
  };
}

/** A job-board item; `rowNumber` counts from 1 within its page. */
export function feedItem(r: FeedRow, rowNumber: number): CleaningFeedItem {
  return {
    ...cleaningPublic(r, standingOf(r)),
    owner: userSummary({ id: r.owner, username: r.username }, r),
    row_number: rowNumber,
    event_timestamp: isoTimestamp(r.event_timestamp),
    event_type: r.event_type,
  };
}

export function offerPublic(
  r: OfferRow,
  extras: { user?: Offerer; cleaning?: CleaningPublic; evaluation?: EvaluationPublic } = {},
): OfferPublic {
  return {
    created_at: isoTimestamp(r.created_at),
    updated_at: isoTimestamp(r.updated_at),
    user_id: r.user_id,
    cleaning_id: r.cleaning_id,
    status: r.status,
    user: extras.user ?? null,
    cleaning: extras.cleaning ?? null,
    ...(extras.evaluation ? { evaluation: extras.evaluation } : {}),
  };
}

/** One of the caller's offers for a first load, with its cleaning and the log position to sync from. */
export function myOffer(r: MyOfferRow): MyOffer {
  const cleaning = cleaningPublic(
    {
      id: r.cleaning_id,
      owner: r.c_owner,
      name: r.c_name,
      description: r.c_description,
      cleaning_type: r.c_cleaning_type,
      price: r.c_price,
      created_at: r.c_created_at,
      updated_at: r.c_updated_at,
    },
    standingOf(r),
  );
  return { ...offerPublic(r), cleaning, seq: Number(r.c_last_seq) };
}

/** A log row, whatever version its record is, as the wire shows it today. */
export function offerEventPublic(r: OfferEventRow): OfferEventPublic {
  const record = r.offer === null ? null : offerRecordOf(r.offer);
  return {
    cleaning_id: r.cleaning_id,
    seq: Number(r.seq),
    type: r.type,
    user_id: r.user_id,
    offer:
      record &&
      offerPublic(
        { ...record, cleaning_id: r.cleaning_id, user_id: r.user_id },
        record.evaluation ? { evaluation: evaluationPublic(record.evaluation) } : {},
      ),
    at: isoTimestamp(r.at),
  };
}

export function evaluationPublic(r: EvaluationRow): EvaluationPublic {
  return {
    no_show: r.no_show,
    headline: r.headline,
    comment: r.comment,
    professionalism: r.professionalism,
    completeness: r.completeness,
    efficiency: r.efficiency,
    overall_rating: r.overall_rating,
    created_at: isoTimestamp(r.created_at),
    updated_at: isoTimestamp(r.updated_at),
    cleaner_id: r.cleaner_id,
    cleaning_id: r.cleaning_id,
    owner: r.owner,
    cleaner: null,
    cleaning: null,
  };
}

/** A cleaner's aggregates; with no evaluation at all, counts are 0 and the rest null. */
export function evaluationStats(r: EvaluationStatsRow | undefined): EvaluationStats {
  const num = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));
  const count = (v: number | string | null | undefined) => Number(v ?? 0);
  return {
    avg_professionalism: num(r?.avg_professionalism),
    avg_completeness: num(r?.avg_completeness),
    avg_efficiency: num(r?.avg_efficiency),
    avg_overall_rating: num(r?.avg_overall_rating),
    max_overall_rating: num(r?.max_overall_rating),
    min_overall_rating: num(r?.min_overall_rating),
    one_stars: count(r?.one_stars),
    two_stars: count(r?.two_stars),
    three_stars: count(r?.three_stars),
    four_stars: count(r?.four_stars),
    five_stars: count(r?.five_stars),
    total_evaluations: count(r?.total_evaluations),
    total_no_show: count(r?.total_no_show),
  };
}
