// The access token survives reloads in localStorage; nothing else is kept in the browser.
const KEY = 'phresh-live.token';

export function loadToken(): string | undefined {
  try {
    return localStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveToken(token: string | undefined): void {
  try {
    if (token) localStorage.setItem(KEY, token);
    else localStorage.removeItem(KEY);
  } catch {
    // Private windows may refuse storage: the session then lasts as long as the page.
  }
}
