/**
 * The API client, used by the page and the service worker alike (no DOM).
 *
 * Every request sends the UI language (errors come back translated) and the access token. A 401
 * triggers one silent refresh (the refresh token rotates) and one retry. Refreshes are serialised
 * with a Web Lock shared by every tab and the service worker: the API treats a reused refresh
 * token as theft and ends the session, so two concurrent refreshes must never happen.
 */
import type { Tokens, User } from "./types";

export interface Session {
  access_token: string;
  refresh_token: string;
  /** Epoch milliseconds when the access token expires. */
  expires_at: number;
  user: User;
}

export interface SessionStore {
  /** The stored session, read from storage (the truth, shared with other contexts). */
  get(): Promise<Session | null>;
  /** A copy kept in memory, if the store has one: saves a storage read per request. */
  cached?(): Session | null | undefined;
  set(session: Session): Promise<void>;
  clear(): Promise<void>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly body: Record<string, unknown>;

  constructor(status: number, code: string, detail: string, body: Record<string, unknown> = {}) {
    super(detail || code);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.body = body;
  }
}

/** No answer at all (offline, DNS, connection reset): the request may be retried later. */
export class NetworkError extends Error {
  constructor(message = "network") {
    super(message);
    this.name = "NetworkError";
  }
}

/** Whether a refresh answer means the stored refresh token can never work again. */
export function refreshRefused(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** The refresh token was refused: the user must sign in again. */
export class SessionExpired extends ApiError {
  constructor(detail = "") {
    super(401, "session_expired", detail);
    this.name = "SessionExpired";
  }
}

export type Lock = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

const localChains = new Map<string, Promise<unknown>>();

/** A Web Lock when the platform has one (shared with the service worker), else a local mutex. */
export const webLock: Lock = (name, fn) => {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (locks?.request) return locks.request(name, fn) as ReturnType<typeof fn>;
  const prev = localChains.get(name) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  localChains.set(
    name,
    next.catch(() => undefined),
  );
  return next;
};

export interface RequestOptions {
  method?: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  idempotencyKey?: string;
  /** Send the access token (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

export interface ApiOptions {
  store: SessionStore;
  language: () => string;
  fetch?: typeof fetch;
  base?: string;
  lock?: Lock;
  now?: () => number;
}

export function sessionFromTokens(tokens: Tokens, now: number): Session {
  return {
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    expires_at: now + tokens.expires_in * 1000,
    user: tokens.user,
  };
}

async function problemOf(res: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = await res.json();
    if (parsed && typeof parsed === "object") body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's error page): keep the status.
  }
  const code = typeof body.code === "string" ? body.code : `http_${res.status}`;
  const detail = typeof body.detail === "string" ? body.detail : res.statusText;
  return new ApiError(res.status, code, detail, body);
}

export class Api {
  private readonly store: SessionStore;
  private readonly language: () => string;
  private readonly fetchFn: typeof fetch;
  private readonly base: string;
  private readonly lock: Lock;
  private readonly now: () => number;

  constructor(opts: ApiOptions) {
    this.store = opts.store;
    this.language = opts.language;
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.base = opts.base ?? "";
    this.lock = opts.lock ?? webLock;
    this.now = opts.now ?? Date.now;
  }

  session(): Promise<Session | null> {
    return this.store.get();
  }

  private async send(path: string, opts: RequestOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = {
      Accept: "application/json",
      "Accept-Language": this.language(),
      ...opts.headers,
    };
    let body = opts.body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
    try {
      return await this.fetchFn(this.base + path, {
        method: opts.method ?? (body === undefined ? "GET" : "POST"),
        headers,
        body,
        signal: opts.signal,
        credentials: "same-origin",
      });
    } catch (err) {
      if ((err as Error)?.name === "AbortError") throw err;
      throw new NetworkError(String(err));
    }
  }

  /** A request that answers JSON (or nothing: 204). Throws ApiError, NetworkError, SessionExpired. */
  async request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.raw(path, opts);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Like `request`, but gives back the successful Response itself. */
  async raw(path: string, opts: RequestOptions = {}): Promise<Response> {
    const auth = opts.auth ?? true;
    let session = auth ? (this.store.cached?.() ?? (await this.store.get())) : null;
    if (auth && !session) throw new SessionExpired();
    // Refresh a little before expiry, so a slow network does not carry an expiring token.
    if (session && session.expires_at - 30_000 < this.now()) {
      if (await this.refresh(session.access_token)) session = await this.store.get();
    }
    let res = await this.send(path, opts, session?.access_token ?? null);
    if (res.status === 401 && auth && session) {
      if (await this.refresh(session.access_token)) {
        session = await this.store.get();
        res = await this.send(path, opts, session?.access_token ?? null);
      }
      if (res.status === 401) throw new SessionExpired((await problemOf(res)).detail);
    }
    if (!res.ok) throw await problemOf(res);
    return res;
  }

  /**
   * Swap the refresh token for new tokens, once across every tab and the service worker.
   * Returns true when a fresh access token is in the store (ours or another context's).
   */
  async refresh(staleAccessToken: string): Promise<boolean> {
    return this.lock("tanggap-auth-refresh", async () => {
      const current = await this.store.get();
      if (!current) return false;
      // Someone else refreshed while we waited for the lock.
      if (current.access_token !== staleAccessToken) return true;
      const res = await this.send(
        "/api/auth/refresh",
        { json: { refresh_token: current.refresh_token }, auth: false },
        null,
      );
      // A refused or malformed refresh token (401, 403, 400, 422) will never be accepted: the
      // session is over. Only a busy server (408, 429) or an outage is worth another try later.
      if (refreshRefused(res.status)) {
        await this.store.clear();
        throw new SessionExpired((await problemOf(res)).detail);
      }
      if (!res.ok) throw await problemOf(res);
      const tokens = (await res.json()) as Tokens;
      await this.store.set(sessionFromTokens(tokens, this.now()));
      return true;
    });
  }

  async login(username: string, password: string): Promise<Session> {
    const tokens = await this.request<Tokens>("/api/auth/login", {
      json: { username, password },
      auth: false,
    });
    const session = sessionFromTokens(tokens, this.now());
    await this.store.set(session);
    return session;
  }

  /** Revoke the session on the server when reachable; forget it locally in any case. */
  async logout(): Promise<void> {
    try {
      const session = await this.store.get();
      if (session) await this.send("/api/auth/logout", { method: "POST" }, session.access_token);
    } catch {
      // Offline: the refresh token expires on its own.
    }
    await this.store.clear();
  }
}
