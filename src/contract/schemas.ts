/**
 * The wire contract: request schemas (which validate input and generate the OpenAPI document)
 * and response shapes. Keys are snake_case, as in the original Phresh API.
 * Imported by the server, the client SDK and the tests; it must not import anything server-side.
 */
import { z } from 'zod';
import { apiDocs } from './api-docs.ts';
import { ERROR_CODE_NAMES } from './error-codes.ts';
import { MAX_SYNC_CURSORS } from './socket-events.ts';

/** Kinds of cleaning job, as in the original. */
export const CLEANING_TYPES = ['dust_up', 'spot_clean', 'full_clean'] as const;
export type CleaningType = (typeof CLEANING_TYPES)[number];

/**
 * Offer states. At most one offer per cleaning is `accepted` or `completed` (the owner evaluated the work);
 * `rejected` and `cancelled` are terminal for that user, and `completed` for the whole cleaning.
 */
export const OFFER_STATUSES = ['pending', 'accepted', 'rejected', 'cancelled', 'completed'] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];

/** What an offer-log event records; one event per affected offer. */
export const OFFER_EVENT_TYPES = [
  'created',
  'accepted',
  'rejected',
  'cancelled',
  'pending',
  'rescinded',
  'completed',
] as const;
export type OfferEventType = (typeof OFFER_EVENT_TYPES)[number];

/** Where a cleaning stands, derived from its offers: `assigned` has an accepted offer, `completed` an evaluated one. */
export const CLEANING_STATUSES = ['open', 'assigned', 'completed'] as const;
export type CleaningStatus = (typeof CLEANING_STATUSES)[number];

/** Ratings of an evaluation are whole stars, 0 to 5 (checked by the database too). */
export const MAX_RATING = 5;

/** Largest price a cleaning may carry (the column's range, checked by the database too). */
export const MAX_PRICE = 99999.99;
/** Smallest positive price: the column keeps 5 decimal places, so anything less would be stored as 0. */
export const MIN_PRICE = 0.00001;
/** Largest id PostgreSQL's `integer` holds; anything above cannot name a row. */
export const MAX_DB_ID = 2147483647;

// ---------------------------------------------------------------------------------------------
// Shared field rules

const usernameRule = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[a-zA-Z0-9_-]+$/, 'may contain only letters, digits, "_" and "-"');

/** Path ids: a positive decimal integer, as FastAPI's `int` with `ge=1` accepted. */
export const idParam = z
  .string()
  .regex(/^\+?\d{1,30}$/, 'value is not a valid integer')
  .transform((s) => Number(s))
  .pipe(z.number().int().min(1, 'ensure this value is greater than or equal to 1'))
  .register(apiDocs, { wire: { type: 'integer', minimum: 1, examples: [1] } });

export const usernameParam = usernameRule.clone().register(apiDocs, { examples: ['lucy_cleans'] });

/** Lower-cases the domain of an email and trims it, as pydantic's EmailStr did. */
function normaliseEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return email.slice(0, at) + '@' + email.slice(at + 1).toLowerCase();
}

const emailRule = z.string().trim().max(320).pipe(z.email()).transform(normaliseEmail);

/** PostgreSQL's text cannot hold U+0000; refusing it here keeps it from failing an insert or a lookup. */
const NO_NUL = /^[^\u0000]*$/;
const NO_NUL_MESSAGE = 'must not contain the NUL character (\\u0000)';

/** pydantic v1 coerced numbers into strings; clients of the original may rely on it. */
const coercedText = (max: number) =>
  z
    .union([z.string(), z.number().finite()])
    .transform((v) => String(v))
    .pipe(z.string().max(max).regex(NO_NUL, NO_NUL_MESSAGE))
    .register(apiDocs, { wire: { type: 'string', maxLength: max } });

/** Prices are positive and at most MAX_PRICE; numeric strings are accepted, as pydantic did. */
const priceRule = z
  .union([
    z.number(),
    z.string().regex(/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/, 'value is not a valid float'),
  ])
  .transform((v) => Number(v))
  .pipe(
    z
      .number()
      .finite()
      .gt(0, 'ensure this value is greater than 0')
      .lte(MAX_PRICE, `ensure this value is less than or equal to ${MAX_PRICE}`)
      .refine((v) => v <= 0 || v >= MIN_PRICE, `ensure this value is at least ${MIN_PRICE}`),
  )
  .register(apiDocs, {
    wire: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: MAX_PRICE,
      description: 'Numeric text such as "89.50" is accepted too.',
    },
  });

const nameRule = coercedText(200)
  .pipe(z.string().trim().min(1, 'ensure this value is not empty'))
  .register(apiDocs, { wire: { type: 'string', minLength: 1, maxLength: 200 } });
const descriptionRule = coercedText(5000).nullable();
const cleaningTypeRule = z.enum(CLEANING_TYPES);

const httpUrlRule = z
  .string()
  .max(2083)
  .regex(NO_NUL, NO_NUL_MESSAGE)
  .refine((s) => {
    try {
      const url = new URL(s);
      return (url.protocol === 'http:' || url.protocol === 'https:') && /\.[a-z]{2,}$/i.test(url.hostname);
    } catch {
      return false;
    }
  }, 'invalid or missing URL scheme, or missing top-level domain');

// ---------------------------------------------------------------------------------------------
// Requests

export const newUserSchema = z
  .object({
    email: emailRule,
    username: usernameRule,
    password: z.string().min(7).max(100),
  })
  .register(apiDocs, {
    id: 'NewUser',
    examples: [{ email: 'lucy@example.com', username: 'lucy_cleans', password: 'correct-horse-7' }],
  });
/** POST /api/users/ */
export const registerBody = z.object({ new_user: newUserSchema });
export type RegisterInput = z.infer<typeof newUserSchema>;

/** POST /api/users/login/token/ (form-encoded; `username` holds the email, as in OAuth2's password flow). */
export const loginForm = z
  .object({
    username: z.string().min(1).max(320).regex(NO_NUL, NO_NUL_MESSAGE),
    password: z.string().min(1).max(1000),
    grant_type: z.string().optional(),
    scope: z.string().optional(),
    client_id: z.string().optional(),
    client_secret: z.string().optional(),
  })
  .register(apiDocs, {
    id: 'LoginForm',
    description: "OAuth2's password flow: `username` holds the account's email.",
    examples: [{ username: 'lucy@example.com', password: 'correct-horse-7' }],
  });
export type LoginInput = z.infer<typeof loginForm>;

export const profileUpdateSchema = z
  .object({
    full_name: coercedText(200).nullable().optional(),
    phone_number: coercedText(50).nullable().optional(),
    bio: coercedText(5000).nullable().optional(),
    image: httpUrlRule.nullable().optional(),
  })
  .register(apiDocs, {
    id: 'ProfileUpdate',
    description: 'Only the fields sent change; `null` clears one.',
    examples: [
      {
        full_name: 'Lucy Park',
        phone_number: '+44 20 7946 0958',
        bio: 'Ten years of deep cleans; I bring my own supplies.',
        image: 'https://images.example.com/lucy.jpg',
      },
    ],
  });
/** PUT /api/profiles/me/ */
export const profileUpdateBody = z.object({ profile_update: profileUpdateSchema });
export type ProfileUpdateInput = z.infer<typeof profileUpdateSchema>;

export const newCleaningSchema = z
  .object({
    name: nameRule,
    description: descriptionRule.optional(),
    price: priceRule,
    cleaning_type: cleaningTypeRule.optional(),
  })
  .register(apiDocs, {
    id: 'NewCleaning',
    description: '`cleaning_type` defaults to `spot_clean`.',
    examples: [
      {
        name: 'Spring clean of a two-bedroom flat',
        description: 'Kitchen, bathroom and windows; supplies are on site.',
        price: 89.5,
        cleaning_type: 'full_clean',
      },
    ],
  });
/** POST /api/cleanings/ */
export const newCleaningBody = z.object({ new_cleaning: newCleaningSchema });
export type NewCleaningInput = z.infer<typeof newCleaningSchema>;

export const cleaningUpdateSchema = z
  .object({
    name: nameRule.optional(),
    description: descriptionRule.optional(),
    price: priceRule.optional(),
    // null is let through so that the domain can answer the original's 400 for it.
    cleaning_type: cleaningTypeRule.nullable().optional(),
  })
  .register(apiDocs, {
    id: 'CleaningUpdate',
    description: 'Only the fields sent change.',
    examples: [{ price: 95, description: 'Kitchen, bathroom, windows and the balcony.' }],
  });
/** PUT /api/cleanings/{cleaning_id}/ */
export const cleaningUpdateBody = z.object({ cleaning_update: cleaningUpdateSchema });
export type CleaningUpdateInput = z.infer<typeof cleaningUpdateSchema>;

/** GET /api/cleanings/{cleaning_id}/events/ */
export const eventsQuery = z.object({
  since: z
    .string()
    .regex(/^\d{1,15}$/, 'value is not a valid non-negative integer')
    .transform(Number)
    .default(0)
    .register(apiDocs, {
      wire: {
        type: 'integer',
        minimum: 0,
        default: 0,
        description: 'Only events after this seq; 0 reads from the start.',
      },
    }),
});

/** GET /api/feed/cleanings/ */
export const feedQuery = z.object({
  page_chunk_size: z
    .string()
    .regex(/^\d{1,3}$/, 'value is not a valid integer')
    .transform(Number)
    .pipe(z.number().int().min(1).max(50))
    .default(20)
    .register(apiDocs, { wire: { type: 'integer', minimum: 1, maximum: 50, default: 20 } }),
  starting_date: z.iso
    .datetime({ offset: true, local: true })
    .transform((s) => new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : s + 'Z'))
    // Year 0 and years past 9999 (once an offset is applied) have no ISO text PostgreSQL reads back.
    .pipe(
      z
        .date()
        .min(new Date('0001-01-01T00:00:00Z'), 'ensure this date is in the years 0001 to 9999')
        .max(new Date('9999-12-31T23:59:59.999Z'), 'ensure this date is in the years 0001 to 9999'),
    )
    .optional()
    .register(apiDocs, {
      wire: {
        type: 'string',
        format: 'date-time',
        description:
          'Items older than this (a time without an offset is UTC): the last item’s `event_timestamp`.',
      },
    }),
  /** Tie-breaker for `starting_date`: the `id` of the last item of the previous page. */
  starting_id: z
    .string()
    .regex(/^\d{1,10}$/, 'value is not a valid integer')
    .transform(Number)
    .pipe(z.number().max(MAX_DB_ID, `ensure this value is less than or equal to ${MAX_DB_ID}`))
    .optional()
    .register(apiDocs, {
      wire: {
        type: 'integer',
        minimum: 0,
        maximum: MAX_DB_ID,
        description: 'Tie-breaker for `starting_date`: the `id` of the last item of the previous page.',
      },
    }),
});
export type FeedQuery = z.infer<typeof feedQuery>;

const ratingRule = z.number().int().min(0).max(MAX_RATING);
/** Trimmed; a text left empty by trimming is stored as null. */
const evaluationText = (max: number) =>
  z
    .string()
    .regex(NO_NUL, NO_NUL_MESSAGE)
    .trim()
    .max(max)
    .transform((v) => (v === '' ? null : v))
    .register(apiDocs, { wire: { type: 'string', maxLength: max } })
    .nullable();

export const evaluationCreateSchema = z
  .object({
    overall_rating: ratingRule,
    no_show: z.boolean().default(false),
    headline: evaluationText(200).optional(),
    comment: evaluationText(5000).optional(),
    professionalism: ratingRule.nullable().optional(),
    completeness: ratingRule.nullable().optional(),
    efficiency: ratingRule.nullable().optional(),
  })
  .register(apiDocs, {
    id: 'EvaluationCreate',
    description:
      'Ratings are whole stars from 0 to 5; texts are trimmed, and stored as null when left empty.',
    examples: [
      {
        overall_rating: 5,
        no_show: false,
        headline: 'Spotless kitchen',
        comment: 'On time, careful with the plants.',
        professionalism: 5,
        completeness: 4,
        efficiency: 5,
      },
    ],
  });
/** POST /api/users/{username}/evaluations/{cleaning_id}/ */
export const evaluationCreateBody = z.object({ evaluation_create: evaluationCreateSchema });
export type EvaluationCreateInput = z.input<typeof evaluationCreateSchema>;
export type EvaluationCreate = z.output<typeof evaluationCreateSchema>;

// ---------------------------------------------------------------------------------------------
// Socket command payloads

const cleaningIdField = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const seqField = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

// Commands have no older clients to stay compatible with, so an unknown key is refused rather than ignored:
// a typo such as `{ cleaning_id, sinse: 40 }` would otherwise silently get a snapshot instead of a replay.
export const cleaningRef = z
  .strictObject({ cleaning_id: cleaningIdField })
  .register(apiDocs, { id: 'CleaningRef', examples: [{ cleaning_id: 1 }] });
export const acceptOfferPayload = z
  .strictObject({ cleaning_id: cleaningIdField, username: usernameRule })
  .register(apiDocs, { id: 'AcceptOffer', examples: [{ cleaning_id: 1, username: 'lucy_cleans' }] });
export const subscribePayload = z
  .strictObject({ cleaning_id: cleaningIdField, since: seqField.optional() })
  .register(apiDocs, {
    id: 'CleaningSubscribe',
    description: 'Without `since`, a snapshot; with it, the events after that seq.',
    examples: [{ cleaning_id: 1 }, { cleaning_id: 1, since: 4 }],
  });
export const offersSyncPayload = z
  .strictObject({
    cursors: z
      .record(z.string().regex(/^[1-9]\d{0,9}$/, 'keys must be cleaning ids'), seqField)
      .refine(
        (r) => Object.keys(r).length <= MAX_SYNC_CURSORS,
        `at most ${MAX_SYNC_CURSORS} cursors per call`,
      ),
  })
  .register(apiDocs, {
    id: 'OffersSync',
    description: `The last seq seen per cleaning id; at most ${MAX_SYNC_CURSORS} cursors per call.`,
    examples: [{ cursors: { '1': 4, '7': 0 } }],
  });
// `evaluation` is checked by the domain, after the permission checks, so that the ack's errors come in REST's order.
export const evaluationCreatePayload = z
  .strictObject({
    cleaning_id: cleaningIdField,
    username: usernameRule,
    evaluation: z.unknown(),
  })
  .register(apiDocs, {
    id: 'EvaluationCreatePayload',
    description: "`evaluation` is E1's `evaluation_create`.",
    examples: [{ cleaning_id: 1, username: 'lucy_cleans', evaluation: { overall_rating: 5 } }],
  });
export const emptyPayload = z.strictObject({}).optional();

// ---------------------------------------------------------------------------------------------
// Responses

const timestamps = {
  created_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
};

export const accessTokenSchema = z
  .object({ access_token: z.string(), token_type: z.literal('bearer') })
  .register(apiDocs, { id: 'AccessToken' });
export type AccessToken = z.infer<typeof accessTokenSchema>;

export const profilePublicSchema = z
  .object({
    id: z.number().int(),
    ...timestamps,
    full_name: z.string().nullable(),
    phone_number: z.string().nullable(),
    bio: z.string().nullable(),
    image: z.string().nullable(),
    user_id: z.number().int(),
    username: z.string().nullable(),
    email: z.string().nullable(),
  })
  .register(apiDocs, { id: 'ProfilePublic' });
export type ProfilePublic = z.infer<typeof profilePublicSchema>;

export const userPublicSchema = z
  .object({
    id: z.number().int(),
    ...timestamps,
    email: z.string(),
    username: z.string(),
    email_verified: z.boolean(),
    is_active: z.boolean(),
    is_superuser: z.boolean(),
    access_token: accessTokenSchema.nullable(),
    profile: profilePublicSchema.nullable(),
  })
  .register(apiDocs, { id: 'UserPublic' });
export type UserPublic = z.infer<typeof userPublicSchema>;

/** Another user as third parties see them: no email, no account flags. */
export const userSummarySchema = z
  .object({
    id: z.number().int(),
    username: z.string(),
    profile: z
      .object({ full_name: z.string().nullable(), bio: z.string().nullable(), image: z.string().nullable() })
      .nullable(),
  })
  .register(apiDocs, { id: 'UserSummary' });
export type UserSummary = z.infer<typeof userSummarySchema>;

/** A cleaner's track record, shown wherever someone chooses or looks them up. */
const reputation = {
  total_evaluations: z.number().int(),
  /** null until the first evaluation. */
  avg_overall_rating: z.number().nullable(),
};

/** An offerer as the cleaning's owner sees them: public data and track record. */
export const offererSchema = userSummarySchema.extend(reputation).register(apiDocs, { id: 'Offerer' });
export type Offerer = z.infer<typeof offererSchema>;

/** P1: a profile with its user's track record as a cleaner. */
export const profileWithReputationSchema = profilePublicSchema
  .extend(reputation)
  .register(apiDocs, { id: 'ProfileWithReputation' });
export type ProfileWithReputation = z.infer<typeof profileWithReputationSchema>;

export const cleaningPublicSchema = z
  .object({
    id: z.number().int(),
    ...timestamps,
    name: z.string(),
    description: z.string().nullable(),
    price: z.number(),
    cleaning_type: z.enum(CLEANING_TYPES),
    owner: z.number().int(),
    /** Derived from the offers, in the same snapshot: `open`, `assigned` (an accepted offer) or `completed`. */
    status: z.enum(CLEANING_STATUSES),
    /** How many offers the cleaning has, in any status (public; the offers themselves are not). */
    total_offers: z.number().int(),
  })
  .register(apiDocs, { id: 'CleaningPublic' });
export type CleaningPublic = z.infer<typeof cleaningPublicSchema>;

/** An owner's evaluation of the cleaner who did the job (the original's keys; `cleaner`, `cleaning` stay null). */
export const evaluationPublicSchema = z
  .object({
    no_show: z.boolean(),
    headline: z.string().nullable(),
    comment: z.string().nullable(),
    professionalism: z.number().int().nullable(),
    completeness: z.number().int().nullable(),
    efficiency: z.number().int().nullable(),
    overall_rating: z.number().int(),
    ...timestamps,
    cleaner_id: z.number().int(),
    cleaning_id: z.number().int(),
    /** The id of the cleaning's owner, who wrote the evaluation. */
    owner: z.number().int(),
    cleaner: z.null(),
    cleaning: z.null(),
  })
  .register(apiDocs, { id: 'EvaluationPublic' });
export type EvaluationPublic = z.infer<typeof evaluationPublicSchema>;

/** E3: a cleaner's aggregate ratings. With no evaluation, counts are 0 and averages, min and max null. */
export const evaluationStatsSchema = z
  .object({
    avg_professionalism: z.number().nullable(),
    avg_completeness: z.number().nullable(),
    avg_efficiency: z.number().nullable(),
    avg_overall_rating: z.number().nullable(),
    max_overall_rating: z.number().int().nullable(),
    min_overall_rating: z.number().int().nullable(),
    /** Star buckets count overall ratings 1 to 5; a rating of 0 is in none of them (as in the original). */
    one_stars: z.number().int(),
    two_stars: z.number().int(),
    three_stars: z.number().int(),
    four_stars: z.number().int(),
    five_stars: z.number().int(),
    total_evaluations: z.number().int(),
    total_no_show: z.number().int(),
  })
  .register(apiDocs, { id: 'EvaluationStats' });
export type EvaluationStats = z.infer<typeof evaluationStatsSchema>;

export const offerPublicSchema = z
  .object({
    ...timestamps,
    user_id: z.number().int(),
    cleaning_id: z.number().int(),
    status: z.enum(OFFER_STATUSES),
    user: offererSchema.nullable(),
    cleaning: cleaningPublicSchema.nullable(),
    /** Only on the offer of a `completed` event: the evaluation that completed it. */
    evaluation: evaluationPublicSchema.optional(),
  })
  .register(apiDocs, { id: 'OfferPublic' });
export type OfferPublic = z.infer<typeof offerPublicSchema>;

/** One of the caller's offers for a first load: the offer, its cleaning, and the log position to sync from. */
export const myOfferSchema = offerPublicSchema
  .extend({
    cleaning: cleaningPublicSchema,
    seq: z.number().int(),
  })
  .register(apiDocs, { id: 'MyOffer' });
export type MyOffer = z.infer<typeof myOfferSchema>;

export const offerEventSchema = z
  .object({
    cleaning_id: z.number().int(),
    seq: z.number().int(),
    type: z.enum(OFFER_EVENT_TYPES),
    user_id: z.number().int(),
    offer: offerPublicSchema.nullable(),
    at: z.iso.datetime({ offset: true }),
  })
  .register(apiDocs, { id: 'OfferEvent' });
/** A row of a cleaning's offer log, as served by REST and pushed as `offer:event`. */
export type OfferEventPublic = z.infer<typeof offerEventSchema>;

export const feedItemSchema = cleaningPublicSchema
  .extend({
    owner: userSummarySchema,
    row_number: z.number().int(),
    event_timestamp: z.iso.datetime({ offset: true }),
    event_type: z.enum(['is_create', 'is_update']),
  })
  .register(apiDocs, { id: 'FeedItem' });
export type CleaningFeedItem = z.infer<typeof feedItemSchema>;

/** A validation problem, in FastAPI's shape. */
export const validationIssueSchema = z
  .object({
    loc: z.array(z.union([z.string(), z.number()])),
    msg: z.string(),
    type: z.string(),
  })
  .register(apiDocs, { id: 'ValidationError' });
export type ValidationIssue = z.infer<typeof validationIssueSchema>;

/** A stable error code, the same in REST bodies and socket acks (see `ERROR_CODES` for each one's status and text). */
export const errorCodeSchema = z.enum(ERROR_CODE_NAMES).register(apiDocs, {
  id: 'ErrorCode',
  description: 'A stable code to branch on; the same in REST error bodies and socket acks.',
});

/** Every REST error body: a message, or a list of validation problems (422), and the code. */
export const errorBodySchema = z.object({
  detail: z.union([z.string(), z.array(validationIssueSchema)]),
  code: errorCodeSchema,
});

/** The body of every error but 422, for the API documents. */
export const messageErrorSchema = z
  .object({ detail: z.string(), code: errorCodeSchema })
  .register(apiDocs, { id: 'HTTPError' });

/** The body of a 422, for the API documents. */
export const validationErrorSchema = z
  .object({ detail: z.array(validationIssueSchema), code: z.literal('VALIDATION_FAILED') })
  .register(apiDocs, { id: 'HTTPValidationError' });
export type ErrorBody = z.infer<typeof errorBodySchema>;

// ---------------------------------------------------------------------------------------------
// Socket answers and pushes (the TypeScript types in socket-events.ts are the compile-time half)

/** `cleaning:subscribe` without `since`. */
export const cleaningSnapshotSchema = z
  .object({ cleaning: cleaningPublicSchema, offers: z.array(offerPublicSchema), seq: z.number().int() })
  .register(apiDocs, {
    id: 'CleaningSnapshot',
    description: 'The cleaning, the offers the caller may see, and the seq they reflect.',
  });

/** `cleaning:subscribe` with `since`. */
export const eventsSinceSchema = z
  .object({
    events: z.array(offerEventSchema),
    seq: z.number().int(),
    more: z.boolean(),
    next_since: z.number().int().optional(),
  })
  .register(apiDocs, {
    id: 'EventsSince',
    description:
      'The visible events after `since`, in seq order; with `more`, call again with `since: next_since` ' +
      '(the cleaning’s pushes wait until the replay is complete).',
  });

/** `offers:sync`. */
export const offersSyncResultSchema = z
  .object({
    events: z.array(offerEventSchema),
    more: z.boolean(),
    next_cursors: z.record(z.string(), z.number().int()).optional(),
  })
  .register(apiDocs, {
    id: 'OffersSyncResult',
    description:
      'The visible events after each cursor, grouped by cleaning, each in seq order; with `more`, call again ' +
      'with `cursors: next_cursors` (those cleanings’ pushes wait until they are read in full).',
  });

/** The error half of every ack. */
export const ackErrorSchema = z
  .object({
    status: z.number().int(),
    code: z.enum([...ERROR_CODE_NAMES, 'UNKNOWN_COMMAND']),
    detail: z.union([z.string(), z.array(validationIssueSchema)]),
  })
  .register(apiDocs, {
    id: 'AckError',
    description: 'The same status and `detail` as REST, plus a stable `code` to branch on.',
  });

/** `cleaning:deleted`. */
export const cleaningDeletedSchema = z
  .object({ cleaning_id: z.number().int() })
  .register(apiDocs, { id: 'CleaningDeleted' });

/** `session:expired`. */
export const sessionExpiredSchema = z
  .object({ detail: z.string() })
  .register(apiDocs, { id: 'SessionExpired' });
