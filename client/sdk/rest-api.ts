import type { z } from 'zod';
import type {
  AccessToken,
  CleaningFeedItem,
  CleaningPublic,
  cleaningUpdateSchema,
  EvaluationPublic,
  EvaluationStats,
  MyOffer,
  newCleaningSchema,
  newUserSchema,
  OfferEventPublic,
  OfferPublic,
  ProfilePublic,
  profileUpdateSchema,
  UserPublic,
} from '../../src/contract/schemas.ts';
import type {
  PushPublicKey,
  PushSubscriptionCreated,
  PushSubscriptionJson,
} from '../../src/contract/push.ts';
import { codeOfRestError, PhreshError, type PhreshErrorCode } from './phresh-error.ts';

/** What `createCleaning` accepts: the contract's input (prices may be numeric strings, as the API allows). */
export type NewCleaning = z.input<typeof newCleaningSchema>;
/** What `updateCleaning` accepts: the fields to change. */
export type CleaningUpdate = z.input<typeof cleaningUpdateSchema>;
/** What `updateProfile` accepts: the fields to change (`null` clears one). */
export type ProfileUpdate = z.input<typeof profileUpdateSchema>;
/** What `register` accepts. */
export type NewUser = z.input<typeof newUserSchema>;
/** A page of the job board: up to `page_chunk_size` items older than the cursor (the last item's timestamp and id). */
export type FeedPage = { page_chunk_size?: number; starting_date?: string; starting_id?: number };

/** How REST calls authenticate: the current token, and a way to get a fresh one once it is refused. */
export type RestAuth = { token(): string | undefined; renew(detail: string): Promise<string | undefined> };

/** The REST endpoints the clients use, each answering its contract type or throwing a `PhreshError`. */
export type RestApi = ReturnType<typeof createRestApi>;

type Request = { method?: string; json?: unknown; form?: Record<string, string>; auth?: boolean };

export function createRestApi(baseUrl: string, auth: RestAuth) {
  async function send(path: string, request: Request, token: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(request.form).toString();
    }
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      return await fetch(baseUrl + path, { method: request.method ?? 'GET', headers, body });
    } catch (cause) {
      throw new PhreshError(0, 'NETWORK', 'Could not reach the server.', { cause });
    }
  }

  async function call<T>(path: string, request: Request = {}): Promise<T> {
    const authenticated = request.auth ?? true;
    let res = await send(path, request, authenticated ? auth.token() : undefined);
    if (res.status === 401 && authenticated) {
      // A token that expired (or was never there) gets one renewal, then the request is tried again.
      const refused = await errorOf(res);
      const fresh = await auth.renew(
        typeof refused.detail === 'string' ? refused.detail : 'Not authenticated',
      );
      if (!fresh) throw new PhreshError(401, refused.code, refused.detail ?? 'Not authenticated');
      res = await send(path, request, fresh);
    }
    if (!res.ok) {
      const { code, detail } = await errorOf(res);
      throw new PhreshError(res.status, code, detail ?? res.statusText);
    }
    const text = await res.text();
    return (text ? JSON.parse(text) : null) as T;
  }

  return {
    register: (user: NewUser) =>
      call<UserPublic>('/api/users/', { method: 'POST', json: { new_user: user }, auth: false }),
    /** OAuth2's password flow: the form's `username` is the email. */
    login: (email: string, password: string) =>
      call<AccessToken>('/api/users/login/token/', {
        method: 'POST',
        form: { username: email, password },
        auth: false,
      }),
    me: () => call<UserPublic>('/api/users/me/'),
    myProfile: () => call<ProfilePublic>('/api/profiles/me/'),
    /** A user's profile; the email only on your own. */
    profile: (username: string) => call<ProfilePublic>(`/api/profiles/${encodeURIComponent(username)}/`),
    updateProfile: (update: ProfileUpdate) =>
      call<ProfilePublic>('/api/profiles/me/', { method: 'PUT', json: { profile_update: update } }),
    /** Deactivates the account; its sessions close and the token stops working. */
    deactivate: (username: string) =>
      call<UserPublic>(`/api/users/${encodeURIComponent(username)}/deactivate/`, { method: 'POST' }),
    myCleanings: () => call<CleaningPublic[]>('/api/cleanings/'),
    cleaning: (cleaningId: number) => call<CleaningPublic>(`/api/cleanings/${cleaningId}/`),
    createCleaning: (cleaning: NewCleaning) =>
      call<CleaningPublic>('/api/cleanings/', { method: 'POST', json: { new_cleaning: cleaning } }),
    updateCleaning: (cleaningId: number, update: CleaningUpdate) =>
      call<CleaningPublic>(`/api/cleanings/${cleaningId}/`, {
        method: 'PUT',
        json: { cleaning_update: update },
      }),
    deleteCleaning: (cleaningId: number) =>
      call<number>(`/api/cleanings/${cleaningId}/`, { method: 'DELETE' }),
    feed: (page: FeedPage = {}) => {
      const query = new URLSearchParams(
        Object.entries(page)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, String(v)]),
      ).toString();
      return call<CleaningFeedItem[]>(`/api/feed/cleanings/${query ? `?${query}` : ''}`);
    },
    offersOn: (cleaningId: number) => call<OfferPublic[]>(`/api/cleanings/${cleaningId}/offers/`),
    myOffers: () => call<MyOffer[]>('/api/users/me/offers/'),
    evaluations: (username: string) =>
      call<EvaluationPublic[]>(`/api/users/${encodeURIComponent(username)}/evaluations/`),
    evaluationStats: (username: string) =>
      call<EvaluationStats>(`/api/users/${encodeURIComponent(username)}/evaluations/stats/`),
    evaluation: (username: string, cleaningId: number) =>
      call<EvaluationPublic>(`/api/users/${encodeURIComponent(username)}/evaluations/${cleaningId}/`),
    /** The cleaning's log after `since` as the caller may see it (at most 5000 per call). */
    events: (cleaningId: number, since: number) =>
      call<OfferEventPublic[]>(`/api/cleanings/${cleaningId}/events/?since=${since}`),
    /** The VAPID key a browser subscribes with (`applicationServerKey` of `pushManager.subscribe`). */
    pushPublicKey: () => call<PushPublicKey>('/api/push/public-key/', { auth: false }),
    /**
     * Sends this browser's push subscription (`PushSubscription.toJSON()`) to be notified of offer events while
     * the app is closed; posting the same endpoint again only updates its keys.
     */
    subscribePush: (subscription: PushSubscriptionJson) =>
      call<PushSubscriptionCreated>('/api/push/subscriptions/', {
        method: 'POST',
        json: { subscription },
      }),
    /** Stops notifications to one of the caller's push endpoints (404 if it is not theirs). */
    unsubscribePush: (endpoint: string) =>
      call<null>('/api/push/subscriptions/', { method: 'DELETE', json: { endpoint } }),
  };
}

/** The `{detail, code}` of an error answer; neither when the body is not the API's (a proxy's error page, say). */
async function errorOf(
  res: Response,
): Promise<{ code: PhreshErrorCode; detail: PhreshError['detail'] | undefined }> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return { code: 'HTTP_ERROR', detail: undefined };
  }
  const detail = (body as { detail?: unknown } | null)?.detail;
  return {
    code: codeOfRestError(body),
    detail:
      typeof detail === 'string' || Array.isArray(detail) ? (detail as PhreshError['detail']) : undefined,
  };
}
