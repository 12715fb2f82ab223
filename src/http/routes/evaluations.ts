import { z } from 'zod';
import {
  evaluationCreateBody,
  evaluationPublicSchema,
  evaluationStatsSchema,
  idParam,
  usernameParam,
} from '../../contract/schemas.ts';
import { mapChecked } from '../../contract/validation.ts';
import {
  evaluateCleaner,
  getEvaluation,
  getEvaluationStats,
  listEvaluations,
} from '../../domain/evaluations.ts';
import { defineRoute, type RouteTable } from '../route-table.ts';

const cleanerParams = z.object({ username: usernameParam });
const evaluationParams = z.object({ username: usernameParam, cleaning_id: idParam });

/** E1–E4. `{username}` is always the cleaner being evaluated. */
export function registerEvaluationRoutes(routes: RouteTable): void {
  routes.push(
    defineRoute({
      method: 'post',
      path: '/api/users/{username}/evaluations/{cleaning_id}/',
      name: 'evaluations:create-evaluation-for-cleaner',
      summary: 'Mark your cleaning done by evaluating its accepted cleaner; their offer becomes completed',
      tag: 'evaluations',
      auth: true,
      params: evaluationParams,
      body: { kind: 'json', schema: evaluationCreateBody, deferred: true },
      status: 201,
      response: evaluationPublicSchema,
      errors: [
        'CLEANING_NOT_FOUND',
        'EVALUATION_FORBIDDEN',
        'USER_NOT_FOUND',
        'OFFER_NOT_FOUND',
        'EVALUATION_NOT_ACCEPTED',
        'VALIDATION_FAILED',
      ],
      handle: ({ deps, user, params, body }) =>
        evaluateCleaner(
          deps,
          user,
          params.cleaning_id,
          params.username,
          mapChecked(body, (b) => b.evaluation_create),
        ),
    }),
    defineRoute({
      method: 'get',
      path: '/api/users/{username}/evaluations/',
      name: 'evaluations:list-evaluations-for-cleaner',
      summary: 'A cleaner’s evaluations, newest first',
      tag: 'evaluations',
      auth: true,
      params: cleanerParams,
      status: 200,
      response: z.array(evaluationPublicSchema),
      errors: ['USER_NOT_FOUND', 'VALIDATION_FAILED'],
      handle: ({ deps, params }) => listEvaluations(deps, params.username),
    }),
    // Declared before `{cleaning_id}`, which "stats" must never reach.
    defineRoute({
      method: 'get',
      path: '/api/users/{username}/evaluations/stats/',
      name: 'evaluations:get-stats-for-cleaner',
      summary: 'A cleaner’s aggregate ratings (counts 0 and averages null before any evaluation)',
      tag: 'evaluations',
      auth: true,
      params: cleanerParams,
      status: 200,
      response: evaluationStatsSchema,
      errors: ['USER_NOT_FOUND', 'VALIDATION_FAILED'],
      handle: ({ deps, params }) => getEvaluationStats(deps, params.username),
    }),
    defineRoute({
      method: 'get',
      path: '/api/users/{username}/evaluations/{cleaning_id}/',
      name: 'evaluations:get-evaluation-for-cleaner',
      summary: 'A cleaner’s evaluation for one cleaning',
      tag: 'evaluations',
      auth: true,
      params: evaluationParams,
      status: 200,
      response: evaluationPublicSchema,
      errors: ['CLEANING_NOT_FOUND', 'USER_NOT_FOUND', 'EVALUATION_NOT_FOUND', 'VALIDATION_FAILED'],
      handle: ({ deps, params }) => getEvaluation(deps, params.cleaning_id, params.username),
    }),
  );
}
