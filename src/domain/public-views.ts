// The one place where entities become wire shapes (snake_case, ISO timestamps).
import type {
  CleaningPublic,
  CleaningStatus,
  Offerer,
  OfferEventPublic,
  OfferPublic,
  ProfilePublic,
  UserPublic,
  UserSummary,
  AccessToken,
} from '../contract/schemas.ts';
import type { Cleaning, Offer, OfferEvent, Profile, User } from '../db/entities/index.ts';

const iso = (d: Date) => d.toISOString();

export function profilePublic(
  profile: Profile,
  owner?: { username: string; email: string | null },
): ProfilePublic {
  return {
    id: profile.id,
    created_at: iso(profile.createdAt),
    updated_at: iso(profile.updatedAt),
    full_name: profile.fullName ?? null,
    phone_number: profile.phoneNumber ?? null,
    bio: profile.bio ?? null,
    image: profile.image ?? null,
    user_id: profile.userId,
    username: owner?.username ?? null,
    email: owner?.email ?? null,
  };
}

export function userPublic(
  user: User,
  profile: Profile | null,
  accessToken: AccessToken | null = null,
): UserPublic {
  return {
    id: user.id,
    created_at: iso(user.createdAt),
    updated_at: iso(user.updatedAt),
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
  profile: { fullName?: string | null; bio?: string | null; image?: string | null } | null,
): UserSummary {
  return {
    id: user.id,
    username: user.username,
    profile: profile
      ? { full_name: profile.fullName ?? null, bio: profile.bio ?? null, image: profile.image ?? null }
      : null,
  };
}

/** Where a cleaning stands, derived from its offers (see `cleaning-standing.ts`). */
export type CleaningStanding = { status: CleaningStatus; total_offers: number };

/** A cleaning nobody has offered on yet. */
export const NEW_CLEANING: CleaningStanding = { status: 'open', total_offers: 0 };

export function cleaningPublic(cleaning: Cleaning, standing: CleaningStanding): CleaningPublic {
  return {
    id: cleaning.id,
    created_at: iso(cleaning.createdAt),
    updated_at: iso(cleaning.updatedAt),
    name: cleaning.name,
    description: cleaning.description ?? null,
    price: Number(cleaning.price),
    cleaning_type: cleaning.cleaningType,
    owner: cleaning.owner,
    status: standing.status,
    total_offers: standing.total_offers,
  };
}

export function offerPublic(
  offer: Offer,
  extras: { user?: Offerer | null; cleaning?: CleaningPublic | null } = {},
): OfferPublic {
  return {
    created_at: iso(offer.createdAt),
    updated_at: iso(offer.updatedAt),
    user_id: offer.userId,
    cleaning_id: offer.cleaningId,
    status: offer.status,
    user: extras.user ?? null,
    cleaning: extras.cleaning ?? null,
  };
}

export function offerEventPublic(event: OfferEvent): OfferEventPublic {
  return {
    cleaning_id: event.cleaningId,
    seq: Number(event.seq),
    type: event.type,
    user_id: event.userId,
    offer: event.offer ?? null,
    at: iso(event.at),
  };
}

/** A `cleanings` row as the hot paths read it with plain SQL (no entity, no identity map). */
export type CleaningRow = {
  id: number;
  owner: number;
  name: string;
  description: string | null;
  cleaning_type: CleaningPublic['cleaning_type'];
  price: string | number;
  last_seq: string | number;
  created_at: Date | string;
  updated_at: Date | string;
};

/** An `offers` row as the hot paths read it with plain SQL. */
export type OfferRow = {
  cleaning_id: number;
  user_id: number;
  status: OfferPublic['status'];
  created_at: Date | string;
  updated_at: Date | string;
};

/** A timestamp as the wire carries it, whichever way the driver returned it. */
export const isoOf = (v: Date | string) => new Date(v).toISOString();

/** `cleaningPublic`, from a row. */
export function cleaningPublicFromRow(
  r: Omit<CleaningRow, 'last_seq'>,
  standing: CleaningStanding,
): CleaningPublic {
  return {
    id: r.id,
    created_at: isoOf(r.created_at),
    updated_at: isoOf(r.updated_at),
    name: r.name,
    description: r.description ?? null,
    price: Number(r.price),
    cleaning_type: r.cleaning_type,
    owner: r.owner,
    status: standing.status,
    total_offers: Number(standing.total_offers),
  };
}

/** An `offer_events` row as delivery and replays read it with plain SQL. */
export type OfferEventRow = {
  cleaning_id: number;
  seq: string | number;
  type: OfferEventPublic['type'];
  user_id: number;
  offer: OfferPublic | string | null;
  at: Date | string;
};

/** `offerEventPublic`, from a row. */
export function offerEventPublicFromRow(r: OfferEventRow): OfferEventPublic {
  return {
    cleaning_id: r.cleaning_id,
    seq: Number(r.seq),
    type: r.type,
    user_id: r.user_id,
    offer: typeof r.offer === 'string' ? (JSON.parse(r.offer) as OfferPublic) : r.offer,
    at: isoOf(r.at),
  };
}

/** `offerPublic`, from a row. */
export function offerPublicFromRow(r: OfferRow): OfferPublic {
  return {
    created_at: isoOf(r.created_at),
    updated_at: isoOf(r.updated_at),
    user_id: r.user_id,
    cleaning_id: r.cleaning_id,
    status: r.status,
    user: null,
    cleaning: null,
  };
}
