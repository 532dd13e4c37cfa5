import { beforeEach, describe, expect, it } from "vitest";
import { Api, ApiError, NetworkError, SessionExpired } from "../src/lib/api";
import { json, memoryStore, problem, type Recorded, scriptedFetch, session, USER } from "./helpers";

function tokens(n: number) {
  return {
    access_token: `access-${n}`,
    refresh_token: `refresh-${n}`,
    token_type: "Bearer",
    expires_in: 900,
    user: USER,
  };
}

describe("api client", () => {
  let lang = "id";
  beforeEach(() => {
    lang = "id";
  });

  it("sends the token and the UI language", async () => {
    const { fetch, log } = scriptedFetch(() => json(200, { ok: true }));
    const api = new Api({ store: memoryStore(session()), language: () => lang, fetch });
    lang = "en";
    expect(await api.request("/api/auth/me")).toEqual({ ok: true });
    expect(log[0].headers.authorization).toBe("Bearer access-1");
    expect(log[0].headers["accept-language"]).toBe("en");
  });

  it("logs in and keeps the session", async () => {
    const store = memoryStore(null);
    const { fetch, log } = scriptedFetch(() => json(200, tokens(1)));
    const api = new Api({ store, language: () => lang, fetch });
    const s = await api.login("petugas.dlhk", "tanggap112");
    expect(s.user.username).toBe("petugas.dlhk");
    expect(store.value?.refresh_token).toBe("refresh-1");
    expect(log[0].headers.authorization).toBeUndefined();
    expect(JSON.parse(log[0].body)).toEqual({ username: "petugas.dlhk", password: "tanggap112" });
  });

  it("on 401 refreshes once (rotating the refresh token) and retries", async () => {
    const store = memoryStore(session("expired", "refresh-1"));
    const { fetch, log } = scriptedFetch((req: Recorded) => {
      if (req.path === "/api/auth/refresh") return json(200, tokens(2));
      return req.headers.authorization === "Bearer access-2"
        ? json(200, { ok: true })
        : problem(401, "token_invalid");
    });
    const api = new Api({ store, language: () => lang, fetch });
    expect(await api.request("/api/cases?mine=true")).toEqual({ ok: true });
    expect(log.map((r) => r.path)).toEqual([
      "/api/cases?mine=true",
      "/api/auth/refresh",
      "/api/cases?mine=true",
    ]);
    expect(JSON.parse(log[1].body)).toEqual({ refresh_token: "refresh-1" });
    expect(store.value?.refresh_token).toBe("refresh-2");
  });

  it("refreshes only once for many concurrent 401s (a reused refresh token ends the session)", async () => {
    const store = memoryStore(session("expired", "refresh-1"));
    let refreshes = 0;
    const { fetch } = scriptedFetch(async (req) => {
      if (req.path === "/api/auth/refresh") {
        refreshes += 1;
        await new Promise((r) => setTimeout(r, 5));
        return json(200, tokens(2));
      }
      return req.headers.authorization === "Bearer access-2"
        ? json(200, { ok: true })
        : problem(401, "token_invalid");
    });
    const api = new Api({ store, language: () => lang, fetch });
    await Promise.all([1, 2, 3, 4].map(() => api.request("/api/teams")));
    expect(refreshes).toBe(1);
  });

  it("ends the session when the refresh token is refused", async () => {
    const store = memoryStore(session("expired"));
    const { fetch } = scriptedFetch(() => problem(401, "token_invalid"));
    const api = new Api({ store, language: () => lang, fetch });
    await expect(api.request("/api/teams")).rejects.toBeInstanceOf(SessionExpired);
    expect(store.value).toBeNull();
  });

  it("ends the session when the stored refresh token is malformed (400), not only refused", async () => {
    const store = memoryStore(session("expired"));
    const { fetch } = scriptedFetch((req) =>
      req.path === "/api/auth/refresh"
        ? problem(400, "bad_request")
        : problem(401, "token_expired"),
    );
    const api = new Api({ store, language: () => lang, fetch });
    await expect(api.request("/api/teams")).rejects.toBeInstanceOf(SessionExpired);
    expect(store.value).toBeNull();
  });

  it("keeps the session when the refresh is only rate limited (429)", async () => {
    const store = memoryStore(session("expired"));
    const { fetch } = scriptedFetch((req) =>
      req.path === "/api/auth/refresh"
        ? problem(429, "rate_limited")
        : problem(401, "token_expired"),
    );
    const api = new Api({ store, language: () => lang, fetch });
    await expect(api.request("/api/teams")).rejects.toBeInstanceOf(ApiError);
    expect(store.value).not.toBeNull();
  });

  it("turns problem details into ApiError with code and translated detail", async () => {
    const { fetch } = scriptedFetch(() => problem(409, "version_conflict", "Kasus telah diubah"));
    const api = new Api({ store: memoryStore(session()), language: () => lang, fetch });
    const err = (await api
      .request("/api/cases/x/transitions", { json: {} })
      .catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(409);
    expect(err.code).toBe("version_conflict");
    expect(err.detail).toBe("Kasus telah diubah");
  });

  it("reports no connection as NetworkError, keeping the session", async () => {
    const store = memoryStore(session());
    const fetch = (async () => {
      throw new TypeError("Failed to fetch");
    }) as typeof globalThis.fetch;
    const api = new Api({ store, language: () => lang, fetch });
    await expect(api.request("/api/teams")).rejects.toBeInstanceOf(NetworkError);
    expect(store.value).not.toBeNull();
  });

  it("sends the Idempotency-Key header", async () => {
    const { fetch, log } = scriptedFetch(() => json(200, {}));
    const api = new Api({ store: memoryStore(session()), language: () => lang, fetch });
    await api.request("/api/x", { json: { a: 1 }, idempotencyKey: "abc-123-def" });
    expect(log[0].headers["idempotency-key"]).toBe("abc-123-def");
    expect(log[0].method).toBe("POST");
  });
});
