import { z } from 'zod';
import { idParam, offerPublicSchema, usernameParam } from '../../contract/schemas.ts';
import {
  acceptOffer,
  cancelOffer,
  createOffer,
  getOffer,
  listOffers,
  rescindOffer,
} from '../../domain/offers.ts';
import { defineRoute, type RouteTable } from '../route-table.ts';

const cleaningParams = z.object({ cleaning_id: idParam });
const offerParams = z.object({ cleaning_id: idParam, username: usernameParam });

/** O1–O6. */
export function registerOfferRoutes(routes: RouteTable): void {
  routes.push(
    defineRoute({
      method: 'post',
      path: '/api/cleanings/{cleaning_id}/offers/',
      name: 'offers:create-offer',
      summary: 'Offer to do a cleaning (no body)',
      tag: 'offers',
      auth: true,
      params: cleaningParams,
      status: 201,
      response: offerPublicSchema,
      errors: [
        'CLEANING_NOT_FOUND',
        'OWN_CLEANING_OFFER',
        'CLEANING_COMPLETED',
        'DUPLICATE_OFFER',
        'VALIDATION_FAILED',
      ],
      handle: ({ deps, user, params }) => createOffer(deps, user, params.cleaning_id),
    }),
    defineRoute({
      method: 'get',
      path: '/api/cleanings/{cleaning_id}/offers/',
      name: 'offers:list-offers-for-cleaning',
      summary: 'Every offer on your cleaning, newest first, with each offerer’s public data',
      tag: 'offers',
      auth: true,
      params: cleaningParams,
      status: 200,
      response: z.array(offerPublicSchema),
      errors: ['CLEANING_NOT_FOUND', 'OFFERS_FORBIDDEN', 'VALIDATION_FAILED'],
      handle: ({ deps, user, params }) => listOffers(deps, user, params.cleaning_id),
    }),
    defineRoute({
      method: 'get',
      path: '/api/cleanings/{cleaning_id}/offers/{username}/',
      name: 'offers:get-offer-from-user',
      summary: 'One user’s offer; for the cleaning’s owner or that user only',
      tag: 'offers',
      auth: true,
      params: offerParams,
      status: 200,
      response: offerPublicSchema,
      errors: ['CLEANING_NOT_FOUND', 'OFFER_FORBIDDEN', 'USER_NOT_FOUND', 'OFFER_NOT_FOUND'],
      handle: ({ deps, user, params }) => getOffer(deps, user, params.cleaning_id, params.username),
    }),
    defineRoute({
      method: 'put',
      path: '/api/cleanings/{cleaning_id}/offers/{username}/',
      name: 'offers:accept-offer-from-user',
      summary: 'Accept a pending offer on your cleaning; every other pending offer is rejected',
      tag: 'offers',
      auth: true,
      params: offerParams,
      status: 200,
      response: offerPublicSchema,
      errors: [
        'CLEANING_NOT_FOUND',
        'ACCEPT_FORBIDDEN',
        'USER_NOT_FOUND',
        'OFFER_NOT_FOUND',
        'CLEANING_COMPLETED',
        'OFFER_NOT_PENDING',
        'ALREADY_ACCEPTED',
      ],
      handle: ({ deps, user, params }) => acceptOffer(deps, user, params.cleaning_id, params.username),
    }),
    defineRoute({
      method: 'put',
      path: '/api/cleanings/{cleaning_id}/offers/',
      name: 'offers:cancel-offer-from-user',
      summary: 'Cancel your accepted offer; every rejected offer goes back to pending',
      tag: 'offers',
      auth: true,
      params: cleaningParams,
      status: 200,
      response: offerPublicSchema,
      errors: ['CLEANING_NOT_FOUND', 'OFFER_NOT_FOUND', 'CLEANING_COMPLETED', 'OFFER_NOT_ACCEPTED'],
      handle: ({ deps, user, params }) => cancelOffer(deps, user, params.cleaning_id),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/cleanings/{cleaning_id}/offers/',
      name: 'offers:rescind-offer-from-user',
      summary: 'Withdraw your pending offer; answers null',
      tag: 'offers',
      auth: true,
      params: cleaningParams,
      status: 200,
      response: z.null(),
      errors: ['CLEANING_NOT_FOUND', 'OFFER_NOT_FOUND', 'CLEANING_COMPLETED', 'RESCIND_NOT_PENDING'],
      handle: ({ deps, user, params }) => rescindOffer(deps, user, params.cleaning_id),
    }),
  );
}
