/**
 * The app's shared state and the actions that change it: session, connectivity, the outbox
 * counter and its flush triggers, install and update prompts, push status.
 */
import { ApiError, NetworkError, type Session } from "../lib/api";
import { kvGet, kvSet } from "../lib/db";
import { getLanguage, initLanguage, type Key, setTimeZone } from "../lib/i18n";
import { blockedSeqs, flush, listOutbox, type OutboxItem, onOutboxChange } from "../lib/outbox";
import { disablePush, enablePush, type PushOutcome } from "../lib/push";
import { navigate } from "../lib/router";
import { api, lastUser } from "../lib/session";
import { createStore } from "../lib/store";
import type { AppConfig, User } from "../lib/types";

/** Chromium's install prompt event (not in the DOM typings). */
export interface InstallPromptEvent extends Event {
  prompt(): Promise<void>;
  userChoice: Promise<{ outcome: "accepted" | "dismissed" }>;
}

export interface Toast {
  id: number;
  key: Key;
  params?: Record<string, string | number>;
  text?: string;
}

export interface AppState {
  ready: boolean;
  session: Session | null;
  /** The last signed-in user, kept after the session ends (whose outbox is waiting). */
  user: User | null;
  sessionExpired: boolean;
  online: boolean;
  outbox: OutboxItem[];
  blocked: Set<number>;
  syncing: boolean;
  config: AppConfig | null;
  installPrompt: InstallPromptEvent | null;
  needRefresh: boolean;
  push: PushOutcome | null;
  pushDetail: string;
  toast: Toast | null;
}

export const app = createStore<AppState>({
  ready: false,
  session: null,
  user: null,
  sessionExpired: false,
  online: typeof navigator === "undefined" ? true : navigator.onLine,
  outbox: [],
  blocked: new Set(),
  syncing: false,
  config: null,
  installPrompt: null,
  needRefresh: false,
  push: null,
  pushDetail: "",
  toast: null,
});

let toastSeq = 0;
export function showToast(key: Key, params?: Record<string, string | number>, text?: string): void {
  app.set({ toast: { id: ++toastSeq, key, params, text } });
}

export async function refreshOutbox(): Promise<void> {
  const user = app.get().user;
  const items = await listOutbox(user?.id);
  app.set({ outbox: items, blocked: blockedSeqs(items) });
}

/** Ask the service worker to flush when the network is back, even if the app is closed. */
export async function requestBackgroundSync(): Promise<void> {
  try {
    const reg = await navigator.serviceWorker?.getRegistration();
    const sync = (
      reg as
        | (ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } })
        | undefined
    )?.sync;
    await sync?.register("outbox");
  } catch {
    // No Background Sync (Firefox, Safari): `online` and app start cover it.
  }
}

export async function syncNow(): Promise<void> {
  const s = app.get();
  if (!s.session) return;
  app.set({ syncing: true });
  try {
    const result = await flush(api);
    if (result.outcome === "signed_out") await sessionEnded();
  } catch {
    // Unexpected: the items stay queued; the next trigger tries again.
  } finally {
    app.set({ syncing: false });
    await refreshOutbox();
  }
}

async function sessionEnded(): Promise<void> {
  const session = await api.session();
  if (!session) app.set({ session: null, sessionExpired: true });
}

export async function loadConfig(): Promise<void> {
  try {
    const config = await api.request<AppConfig>("/api/config", { auth: false });
    await kvSet("config", config);
    app.set({ config });
  } catch {
    const saved = await kvGet<AppConfig>("config");
    if (saved) app.set({ config: saved });
  }
  const tz = app.get().config?.city.timezone;
  if (tz) setTimeZone(tz);
}

export async function startPush(ask = true): Promise<void> {
  const { session, config } = app.get();
  if (session?.user.role !== "field_officer") return;
  const result = await enablePush(api, {
    language: getLanguage(),
    configKey: config?.push.public_key,
    ask,
  });
  app.set({ push: result.outcome, pushDetail: result.detail ?? "" });
}

export async function signIn(username: string, password: string): Promise<void> {
  const session = await api.login(username, password);
  initLanguage(session.user.language);
  app.set({ session, user: session.user, sessionExpired: false });
  await refreshOutbox();
  void syncNow();
  void startPush(true);
}

/** Send what the outbox holds while the session still works; what cannot go waits for this user. */
export async function signOut(): Promise<void> {
  if (navigator.onLine) await syncNow();
  await disablePush(api);
  await api.logout(); // forgets the user's cached cases and photos (lib/forget.ts)
  // Straight to sign-in for the next person (in the same tick: the old screen is not remembered).
  navigate("/login", true);
  app.set({ session: null, sessionExpired: false, push: null });
}

export async function boot(): Promise<void> {
  const [session, user] = await Promise.all([api.session(), lastUser()]);
  initLanguage(session?.user.language ?? user?.language);
  app.set({ session, user: session?.user ?? user ?? null, ready: true });
  await refreshOutbox();
  onOutboxChange(() => void refreshOutbox());
  void loadConfig();

  window.addEventListener("online", () => {
    app.set({ online: true });
    void syncNow();
  });
  window.addEventListener("offline", () => app.set({ online: false }));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void syncNow();
  });
  window.addEventListener("beforeinstallprompt", (e) => {
    e.preventDefault(); // shown in our own banner, at a calm moment
    app.set({ installPrompt: e as InstallPromptEvent });
  });
  window.addEventListener("appinstalled", () => app.set({ installPrompt: null }));
  navigator.serviceWorker?.addEventListener("message", (e: MessageEvent) => {
    if (e.data?.type === "outbox-changed") void refreshOutbox();
  });

  if (session) {
    void syncNow();
    if (session.user.role === "field_officer") {
      // Already allowed: re-register quietly (the subscription may have rotated).
      if (typeof Notification !== "undefined" && Notification.permission === "granted") {
        void startPush(false);
      }
    }
    // Confirm the session is still alive and the profile current, when online.
    api
      .request<User>("/api/auth/me")
      .then(async (me) => {
        const current = await api.session();
        if (current) {
          const next = { ...current, user: me };
          await kvSet("session", next);
          app.set({ session: next, user: me });
        }
      })
      .catch(async (err) => {
        if (err instanceof NetworkError) return;
        if (err instanceof ApiError && err.status === 401) await sessionEnded();
      });
  }
}
