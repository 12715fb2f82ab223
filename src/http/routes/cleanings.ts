import { z } from 'zod';
import {
  cleaningPublicSchema,
  cleaningUpdateBody,
  eventsQuery,
  feedItemSchema,
  feedQuery,
  idParam,
  newCleaningBody,
  offerEventSchema,
} from '../../contract/schemas.ts';
import {
  createCleaning,
  deleteCleaning,
  getCleaning,
  getCleaningFeed,
  listOwnCleanings,
  updateCleaning,
} from '../../domain/cleanings.ts';
import { readVisibleEvents } from '../../domain/offer-log.ts';
import { mapChecked } from '../../contract/validation.ts';
import { defineRoute, type RouteTable } from '../route-table.ts';

const cleaningParams = z.object({ cleaning_id: idParam });

/** C1–C5, the cleaning's offer log, and the job board. */
export function registerCleaningRoutes(routes: RouteTable): void {
  routes.push(
    defineRoute({
      method: 'post',
      path: '/api/cleanings/',
      name: 'cleanings:create-cleaning',
      summary: 'Post a cleaning job',
      tag: 'cleanings',
      auth: true,
      body: { kind: 'json', schema: newCleaningBody },
      status: 201,
      response: cleaningPublicSchema,
      errors: ['VALIDATION_FAILED'],
      handle: ({ deps, user, body }) => createCleaning(deps, user, body.new_cleaning),
    }),
    defineRoute({
      method: 'get',
      path: '/api/cleanings/',
      name: 'cleanings:list-all-user-cleanings',
      summary: 'The caller’s own cleanings, newest first',
      tag: 'cleanings',
      auth: true,
      status: 200,
      response: z.array(cleaningPublicSchema),
      errors: [],
      handle: ({ deps, user }) => listOwnCleanings(deps, user),
    }),
    defineRoute({
      method: 'get',
      path: '/api/cleanings/{cleaning_id}/',
      name: 'cleanings:get-cleaning-by-id',
      summary: 'Any cleaning, by id',
      tag: 'cleanings',
      auth: true,
      params: cleaningParams,
      status: 200,
      response: cleaningPublicSchema,
      errors: ['CLEANING_NOT_FOUND', 'VALIDATION_FAILED'],
      handle: ({ deps, params }) => getCleaning(deps, params.cleaning_id),
    }),
    defineRoute({
      method: 'put',
      path: '/api/cleanings/{cleaning_id}/',
      name: 'cleanings:update-cleaning-by-id',
      summary: 'Edit your cleaning (only the fields sent)',
      tag: 'cleanings',
      auth: true,
      params: cleaningParams,
      body: { kind: 'json', schema: cleaningUpdateBody, deferred: true },
      status: 200,
      response: cleaningPublicSchema,
      errors: [
        'CLEANING_NOT_FOUND',
        'CLEANING_FORBIDDEN',
        'COMPLETED_CLEANING_LOCKED',
        'CLEANING_TYPE_NULL',
        'VALIDATION_FAILED',
      ],
      handle: ({ deps, user, params, body }) =>
        updateCleaning(
          deps,
          user,
          params.cleaning_id,
          mapChecked(body, (b) => b.cleaning_update),
        ),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/cleanings/{cleaning_id}/',
      name: 'cleanings:delete-cleaning-by-id',
      summary: 'Delete your cleaning, with its offers; answers the deleted id',
      tag: 'cleanings',
      auth: true,
      params: cleaningParams,
      status: 200,
      response: z.number().int(),
      errors: ['CLEANING_NOT_FOUND', 'CLEANING_FORBIDDEN', 'COMPLETED_CLEANING_LOCKED', 'VALIDATION_FAILED'],
      handle: ({ deps, user, params }) => deleteCleaning(deps, user, params.cleaning_id),
    }),
    defineRoute({
      method: 'get',
      path: '/api/cleanings/{cleaning_id}/events/',
      name: 'cleanings:list-offer-events',
      summary:
        'The cleaning’s offer log after `since`, in seq order: all of it for the owner, your own offer’s events otherwise. At most 5000 per call; continue from the last seq.',
      tag: 'offers',
      auth: true,
      params: cleaningParams,
      query: eventsQuery,
      status: 200,
      response: z.array(offerEventSchema),
      errors: ['CLEANING_NOT_FOUND', 'EVENTS_FORBIDDEN', 'VALIDATION_FAILED'],
      handle: async ({ deps, user, params, query }) =>
        (await readVisibleEvents(deps, user, params.cleaning_id, query.since)).events,
    }),
    defineRoute({
      method: 'get',
      path: '/api/feed/cleanings/',
      name: 'feed:get-cleaning-feed-for-user',
      summary:
        'The job board: creations and edits of every cleaning, newest first. Page with the last item’s `event_timestamp` as `starting_date` and its `id` as `starting_id`.',
      tag: 'feed',
      auth: true,
      query: feedQuery,
      status: 200,
      response: z.array(feedItemSchema),
      errors: ['VALIDATION_FAILED'],
      handle: ({ deps, query }) => getCleaningFeed(deps, query),
    }),
  );
}
