import { randomBytes } from 'node:crypto';
import type { CleaningPublic, OfferPublic, UserPublic } from '../../src/contract/schemas.ts';

export type ApiResponse<T = any> = { status: number; body: T; headers: Headers; text: string };

type RequestOptions = {
  json?: unknown;
  form?: Record<string, string>;
  body?: string;
  headers?: Record<string, string>;
};

/** A tiny REST client bound to a base URL and, optionally, a bearer token. */
export class Api {
  readonly base: string;
  readonly token: string | undefined;

  constructor(base: string, token?: string) {
    this.base = base;
    this.token = token;
  }

  as(token: string | undefined): Api {
    return new Api(this.base, token);
  }

  async request<T = any>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.token && !('authorization' in headers) && !('Authorization' in headers)) {
      headers.authorization = `Bearer ${this.token}`;
    }
    let body: string | undefined = options.body;
    if (options.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    const res = await fetch(this.base + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed as T, headers: res.headers, text };
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
  post<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('POST', path, options);
  }
  put<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('PUT', path, options);
  }
  delete<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }
}

/** A registered user, with a client acting as them. */
export type TestUser = {
  id: number;
  username: string;
  email: string;
  password: string;
  token: string;
  api: Api;
};

let counter = 0;
/** A username nobody else in the run has. */
export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${process.pid}_${++counter}_${randomBytes(3).toString('hex')}`;
}

/** Registers a fresh user over REST. */
export async function makeUser(
  base: string,
  overrides: Partial<{ username: string; email: string; password: string }> = {},
): Promise<TestUser> {
  const username = overrides.username ?? uniqueName();
  const email = overrides.email ?? `${username}@example.io`;
  const password = overrides.password ?? 'correct-horse-battery';
  const res = await new Api(base).post<UserPublic>('/api/users/', {
    json: { new_user: { email, username, password } },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  const token = res.body.access_token!.access_token;
  return { id: res.body.id, username, email: res.body.email, password, token, api: new Api(base, token) };
}

export async function makeUsers(base: string, n: number): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: n }, () => makeUser(base)));
}

/** Posts a cleaning as `owner`. */
export async function makeCleaning(
  owner: TestUser,
  overrides: Partial<{ name: string; description: string | null; price: number; cleaning_type: string }> = {},
): Promise<CleaningPublic> {
  const res = await owner.api.post<CleaningPublic>('/api/cleanings/', {
    json: {
      new_cleaning: {
        name: 'fake cleaning name',
        description: 'fake cleaning description',
        price: 9.99,
        cleaning_type: 'spot_clean',
        ...overrides,
      },
    },
  });
  if (res.status !== 201) throw new Error(`create cleaning failed: ${res.status} ${res.text}`);
  return res.body;
}

/** Each offerer makes an offer on the cleaning. */
export async function makeOffers(cleaning: CleaningPublic, offerers: TestUser[]): Promise<OfferPublic[]> {
  const offers: OfferPublic[] = [];
  for (const user of offerers) {
    const res = await user.api.post<OfferPublic>(`/api/cleanings/${cleaning.id}/offers/`);
    if (res.status !== 201) throw new Error(`offer failed: ${res.status} ${res.text}`);
    offers.push(res.body);
  }
  return offers;
}
