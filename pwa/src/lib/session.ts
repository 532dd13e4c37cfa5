/**
 * The session kept in IndexedDB, so the service worker can send the outbox with the same tokens
 * (Background Sync runs with no page open), and a reload or an offline start keeps the officer
 * signed in. The last signed-in user is kept apart from the tokens: after a session ends the app
 * still knows whose outbox is waiting. Ending a session forgets that user's cached cases and
 * photos (`forget.ts`).
 */
import { Api, type Session, type SessionStore } from "./api";
import { kvDelete, kvGet, kvSet } from "./db";
import { forgetUserData } from "./forget";
import { getLanguage } from "./i18n";
import type { User } from "./types";

// Read from IndexedDB (the truth: the service worker may have refreshed the tokens); a copy in
// memory spares a read per request. A stale copy only costs a 401, and the refresh that follows
// reads the truth inside its lock.
let memory: Session | null | undefined;

export const idbSessionStore: SessionStore = {
  async get() {
    memory = (await kvGet<Session>("session")) ?? null;
    return memory;
  },
  cached() {
    return memory;
  },
  async set(session) {
    // Another person signs in on this phone: nothing of the last user's cases stays readable.
    const last = await lastUser();
    if (last && last.id !== session.user.id) await forgetUserData();
    memory = session;
    await kvSet("session", session);
    await kvSet("last_user", session.user);
  },
  async clear() {
    // Every way a session ends comes here (sign-out, a refused refresh, in page or worker).
    memory = null;
    await kvDelete("session");
    await forgetUserData();
  },
};

export function lastUser(): Promise<User | undefined> {
  return kvGet<User>("last_user");
}

export const api = new Api({ store: idbSessionStore, language: getLanguage });
