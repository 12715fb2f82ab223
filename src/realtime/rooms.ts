/** Every socket of one user, on every node. */
export const roomForUser = (userId: number) => `user:${userId}`;
/** The owner's sockets that subscribed to one cleaning. */
export const roomForCleaning = (cleaningId: number) => `cleaning:${cleaningId}`;
/** Sockets watching the job board. */
export const FEED_ROOM = 'feed';
