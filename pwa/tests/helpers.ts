/** Test doubles: an in-memory session store and a scripted fetch that records every request. */
import { IDBFactory } from "fake-indexeddb";
import type { Session, SessionStore } from "../src/lib/api";
import { resetDbForTests } from "../src/lib/db";
import type { CaseSummary } from "../src/lib/types";

export function freshDb(): void {
  (globalThis as { indexedDB: IDBFactory }).indexedDB = new IDBFactory();
  resetDbForTests();
}

export function memoryStore(initial: Session | null): SessionStore & { value: Session | null } {
  const store = {
    value: initial,
    async get() {
      return store.value;
    },
    async set(s: Session) {
      store.value = s;
    },
    async clear() {
      store.value = null;
    },
  };
  return store;
}

export const USER = {
  id: 7,
  username: "petugas.dlhk",
  full_name: "Putra Petugas DLHK",
  role: "field_officer" as const,
  language: "id",
  agency: { id: 3, code: "DLHK", name: "DLHK" },
  team_ids: [4],
};

export function session(token = "access-1", refresh = "refresh-1"): Session {
  return {
    access_token: token,
    refresh_token: refresh,
    expires_at: Date.now() + 600_000,
    user: USER,
  };
}

export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Handler = (req: Recorded) => Response | Promise<Response>;

/** A fetch that answers with `handler` and records requests (bodies read as text). */
export function scriptedFetch(handler: Handler): { fetch: typeof fetch; log: Recorded[] } {
  const log: Recorded[] = [];
  const fn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input), "http://127.0.0.1");
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((init?.headers as Record<string, string>) ?? {})) {
      headers[k.toLowerCase()] = v;
    }
    let body = "";
    const b = init?.body;
    if (typeof b === "string") body = b;
    else if (b instanceof Blob) body = await b.text();
    const req = { method: init?.method ?? "GET", path: url.pathname + url.search, headers, body };
    log.push(req);
    return handler(req);
  };
  return { fetch: fn as typeof fetch, log };
}

export function json(status: number, body: unknown, type = "application/json"): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": type } });
}

export function problem(status: number, code: string, detail = code): Response {
  return json(status, { status, code, detail }, "application/problem+json");
}

/** A case as the API sends it (`CaseOut`): the given fields over plain defaults. */
export function caseOut(fields: Partial<CaseSummary> & Pick<CaseSummary, "id">): CaseSummary {
  const now = new Date().toISOString();
  return {
    reference: fields.id,
    category: { id: 1, code: "X", name: "X" },
    agency_id: 1,
    agency_name: "",
    area_id: null,
    area_name: null,
    team_id: null,
    team_name: null,
    channel: "phone",
    priority: "P2",
    status: "dispatched",
    public_status: "dalam_proses",
    lat: -3.97,
    lon: 122.51,
    plus_code: "6Q842GJ6+22",
    address: "",
    landmark: "",
    description: "",
    created_at: now,
    updated_at: now,
    accept_by: now,
    arrive_by: now,
    resolve_by: now,
    overdue: false,
    overdue_stages: [],
    out_of_area: false,
    sensitive: false,
    duplicate_of_id: null,
    version: 1,
    ...fields,
  };
}
