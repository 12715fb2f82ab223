/**
 * The Phresh Live client SDK (`phresh-live/client`), for browsers, Node and test harnesses.
 *
 * ```ts
 * const client = new PhreshClient({ url: 'http://localhost:3000' });
 * await client.login('me@example.com', 'secret-password');
 * await client.connect();
 * client.on('offers', (cleaningId) => console.log(client.offers(cleaningId)));
 * ```
 */
export {
  METHOD_FOR_COMMAND,
  PhreshClient,
  type ConnectionState,
  type MyOfferView,
  type PhreshClientEvents,
  type PhreshClientOptions,
  type PhreshSocket,
  type SocketTransport,
} from './phresh-client.ts';
export { describeDetail, PhreshError, type PhreshErrorCode } from './phresh-error.ts';
export type { CleaningUpdate, FeedPage, NewCleaning, NewUser, ProfileUpdate } from './rest-api.ts';
export type {
  CleaningFeedItem,
  CleaningPublic,
  CleaningStatus,
  CleaningType,
  EvaluationCreateInput,
  EvaluationPublic,
  EvaluationStats,
  MyOffer,
  OfferEventPublic,
  OfferPublic,
  OfferStatus,
  ProfilePublic,
  Offerer,
  ProfileWithReputation,
  UserPublic,
  UserSummary,
  ValidationIssue,
} from '../../src/contract/schemas.ts';
export type {
  PushPayload,
  PushPublicKey,
  PushSubscriptionCreated,
  PushSubscriptionJson,
} from '../../src/contract/push.ts';
export type {
  ClientToServerEvents,
  CleaningSnapshot,
  EventsSince,
  OffersSyncResult,
  ServerToClientEvents,
} from '../../src/contract/socket-events.ts';
