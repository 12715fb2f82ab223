// The socket command table is keyed by the contract: `npm test` runs tsc, which checks the lines below.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { acceptOfferPayload, cleaningRef, type OfferPublic } from '../../src/contract/schemas.ts';
import type { CommandRunner } from '../../src/realtime/command-runner.ts';

const never = async (): Promise<never> => {
  throw new Error('never run');
};

describe('the command table', () => {
  it('refuses, at compile time, a misspelt command, a wrong payload schema and a wrong ack type', () => {
    // Never called: these lines exist for tsc, and each marked one must stay an error.
    const uses = (commands: CommandRunner) => {
      // @ts-expect-error: the contract has no such command
      commands.on('offer:creat', cleaningRef, never);
      // @ts-expect-error: offer:accept's payload has a username, which this schema does not check
      commands.on('offer:accept', cleaningRef, never);
      // @ts-expect-error: offer:rescind acks null, not an offer
      commands.on('offer:rescind', cleaningRef, async (): Promise<OfferPublic> => never());
      // The right schema and ack type compile, and the payload is the schema's.
      commands.on('offer:accept', acceptOfferPayload, async ({ payload }) => {
        expectTypeOf(payload).toEqualTypeOf<{ cleaning_id: number; username: string }>();
        return never();
      });
    };
    expect(typeof uses).toBe('function');
  });
});
