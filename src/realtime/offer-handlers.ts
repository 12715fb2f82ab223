import { acceptOfferPayload, cleaningRef } from '../contract/schemas.ts';
import { acceptOffer, cancelOffer, createOffer, rescindOffer } from '../domain/offers.ts';
import type { CommandRunner } from './command-runner.ts';

/**
 * The offer commands; the same domain functions as REST O1, O4–O6. Their pushes are not sent from here:
 * the event relay (src/events) sends them once the transaction has committed.
 */
export function registerOfferHandlers({ commands }: { commands: CommandRunner }): void {
  commands.on('offer:create', cleaningRef, ({ deps, actor, payload }) =>
    createOffer(deps, actor, payload.cleaning_id),
  );
  commands.on('offer:accept', acceptOfferPayload, ({ deps, actor, payload }) =>
    acceptOffer(deps, actor, payload.cleaning_id, payload.username),
  );
  commands.on('offer:cancel', cleaningRef, ({ deps, actor, payload }) =>
    cancelOffer(deps, actor, payload.cleaning_id),
  );
  commands.on('offer:rescind', cleaningRef, ({ deps, actor, payload }) =>
    rescindOffer(deps, actor, payload.cleaning_id),
  );
}
