/**
 * The console's only way to the server: the public API on the page's own origin, with the API
 * key as `Authorization: Bearer`. The key lives in sessionStorage (this tab only) and never in a
 * URL.
 */

const KEY_STORAGE = 'outbox.console.apiKey';

/** An answer other than 2xx, in the API's error shape when it has one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Where the API lives: the path before `/console`, so a deployed stage prefix (`/prod`) is kept.
 */
export function apiBase(pathname: string): string {
  const at = pathname.indexOf('/console');
  return at < 0 ? '' : pathname.slice(0, at);
}

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

export type Query = Readonly<Record<string, string | undefined>>;

export class Api {
  constructor(
    private readonly base: string,
    private readonly key: () => string | null,
  ) {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.call<T>('GET', path, query);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, undefined, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, undefined, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  /** Whether a local-only route answers (only `npm start` has them). */
  async isLocal(): Promise<boolean> {
    try {
      const response = await fetch(`${this.base}/_local/messages`, { method: 'GET', credentials: 'omit', cache: 'no-store' });
      return response.status === 200;
    } catch {
      return false;
    }
  }

  private async call<T>(method: string, path: string, query?: Query, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const key = this.key();
    // The local-only routes need no key, and are never sent one.
    if (key !== null && !path.startsWith('/_local/')) headers.Authorization = `Bearer ${key}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(this.base + path + queryString(query), {
        method,
        headers,
        credentials: 'omit',
        cache: 'no-store',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiError(0, 'network_error', 'Outbox did not answer: is it running, and is the network up?');
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = parsed as { name?: unknown; message?: unknown } | undefined;
      throw new ApiError(
        response.status,
        typeof error?.name === 'string' ? error.name : 'http_error',
        typeof error?.message === 'string' ? error.message : `HTTP ${response.status} from ${method} ${path}`,
      );
    }
    return parsed as T;
  }
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, value);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** Path segments the API takes, encoded once (ids and addresses alike). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
