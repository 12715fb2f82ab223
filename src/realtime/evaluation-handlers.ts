import { evaluationCreatePayload, evaluationCreateSchema } from '../contract/schemas.ts';
import { check } from '../contract/validation.ts';
import { evaluateCleaner } from '../domain/evaluations.ts';
import type { CommandPayload } from '../contract/socket-events.ts';
import type { z } from 'zod';
import type { CommandRunner } from './command-runner.ts';

type Payload = CommandPayload<'evaluation:create'>;
// The schema lets `evaluation` through unchecked (the domain checks it, in REST's order), so its type is the
// contract's only once `check` below has run: the one place where the table takes the schema on trust.
const payloadSchema = evaluationCreatePayload as unknown as z.ZodType<Payload, Payload>;

/**
 * `evaluation:create`, the same domain function as REST E1. The evaluation itself is checked by the domain
 * after its permission checks, so that the ack's errors come in REST's order; the `completed` event is pushed
 * by the event relay after commit, like every offer event.
 */
export function registerEvaluationHandlers({ commands }: { commands: CommandRunner }): void {
  commands.on('evaluation:create', payloadSchema, ({ deps, actor, payload }) =>
    evaluateCleaner(
      deps,
      actor,
      payload.cleaning_id,
      payload.username,
      check(evaluationCreateSchema, payload.evaluation, ['payload', 'evaluation']),
    ),
  );
}
