/**
 * The bearer token the page sends, when the server asks for one (RUNLOG_AUTH): kept in this browser's local
 * storage, never in the URL, so a shared link carries the view and not the credential.
 */
const STORAGE_KEY = 'runlog.token';

export function storedToken(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  if (token === null || token.trim() === '') window.localStorage.removeItem(STORAGE_KEY);
  else window.localStorage.setItem(STORAGE_KEY, token.trim());
}

export function authorizationHeader(): Record<string, string> {
  const token = storedToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}
