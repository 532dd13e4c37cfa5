/**
 * The phone's own database (IndexedDB), shared by the page and the service worker: the session,
 * the outbox of actions waiting for signal, and the cached task list and case details.
 */
import { type DBSchema, type IDBPDatabase, openDB } from "idb";
import type { OutboxItem } from "./outbox";
import type { CaseDetail, CaseSummary } from "./types";

export interface CachedCase {
  id: string;
  case: CaseDetail;
  cachedAt: number;
}

export interface CachedTasks {
  items: CaseSummary[];
  cachedAt: number;
  userId: number;
}

interface Schema extends DBSchema {
  kv: { key: string; value: unknown };
  cases: { key: string; value: CachedCase };
  outbox: {
    key: number;
    value: OutboxItem;
    indexes: { byCase: string };
  };
}

export const DB_NAME = "tanggap";
let dbPromise: Promise<IDBPDatabase<Schema>> | null = null;

export function db(): Promise<IDBPDatabase<Schema>> {
  if (!dbPromise) {
    dbPromise = openDB<Schema>(DB_NAME, 1, {
      upgrade(database) {
        database.createObjectStore("kv");
        database.createObjectStore("cases", { keyPath: "id" });
        const outbox = database.createObjectStore("outbox", {
          keyPath: "seq",
          autoIncrement: true,
        });
        outbox.createIndex("byCase", "caseId");
      },
      blocking() {
        // A newer version of the app wants to upgrade: let it.
        void dbPromise?.then((d) => d.close());
        dbPromise = null;
      },
    });
  }
  return dbPromise;
}

/** Tests open a fresh database per case. */
export function resetDbForTests(): void {
  dbPromise = null;
}

export async function kvGet<T>(key: string): Promise<T | undefined> {
  return (await (await db()).get("kv", key)) as T | undefined;
}

export async function kvSet(key: string, value: unknown): Promise<void> {
  await (await db()).put("kv", value, key);
}

export async function kvDelete(key: string): Promise<void> {
  await (await db()).delete("kv", key);
}

/** The signed-in user's id as the session record says, read inside a write's own transaction. */
async function sessionUserId(kv: { get(key: string): Promise<unknown> }): Promise<number | null> {
  const session = (await kv.get("session")) as { user?: { id?: number } } | undefined;
  return session?.user?.id ?? null;
}

// An answer that arrives after its user's session ended (sign-out, a refused refresh, another
// person signing in) must not be kept: the session is checked in the same transaction as the
// write, and ending a session deletes it before it forgets the cache, so a late write either
// lands before that forgetting or not at all.
export async function cacheTasks(userId: number, items: CaseSummary[]): Promise<void> {
  const value: CachedTasks = { items, cachedAt: Date.now(), userId };
  const tx = (await db()).transaction("kv", "readwrite");
  if ((await sessionUserId(tx.store)) === userId) await tx.store.put(value, "tasks");
  await tx.done;
}

export async function cachedTasks(userId: number): Promise<CachedTasks | undefined> {
  const v = await kvGet<CachedTasks>("tasks");
  return v && v.userId === userId ? v : undefined;
}

/** Keep a case's details for offline reading, only while `userId` (who asked) is signed in. */
export async function cacheCase(userId: number, detail: CaseDetail): Promise<void> {
  const tx = (await db()).transaction(["kv", "cases"], "readwrite");
  if ((await sessionUserId(tx.objectStore("kv"))) === userId) {
    await tx.objectStore("cases").put({ id: detail.id, case: detail, cachedAt: Date.now() });
  }
  await tx.done;
}

export async function cachedCase(id: string): Promise<CachedCase | undefined> {
  return (await db()).get("cases", id);
}

// What the field screens keep per user: the task list, the teams and an unsent duty switch.
const USER_KEYS = ["tasks", "teams", "duty"];

/** Forget cached case data (when a session ends; the outbox is kept so nothing is lost). */
export async function clearCaseCache(): Promise<void> {
  const d = await db();
  await d.clear("cases");
  for (const key of USER_KEYS) await d.delete("kv", key);
}
