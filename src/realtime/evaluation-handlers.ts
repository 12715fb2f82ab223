import { evaluationCreatePayload, evaluationCreateSchema } from '../contract/schemas.ts';
import { check } from '../contract/validation.ts';
import { evaluateCleaner } from '../domain/evaluations.ts';
import type { CommandRunner } from './command-runner.ts';

/**
 * `evaluation:create`, the same domain function as REST E1. The evaluation itself is checked by the domain
 * after its permission checks, so that the ack's errors come in REST's order; the `completed` event is pushed
 * by the offer log relay after commit, like every offer event.
 */
export function registerEvaluationHandlers({ commands }: { commands: CommandRunner }): void {
  commands.on('evaluation:create', evaluationCreatePayload, ({ deps, actor, payload }) =>
    evaluateCleaner(
      deps,
      actor,
      payload.cleaning_id,
      payload.username,
      check(evaluationCreateSchema, payload.evaluation, ['payload', 'evaluation']),
    ),
  );
}
