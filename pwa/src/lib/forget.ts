/**
 * Shared phones: what one user's session leaves behind, and forgetting it when the session ends
 * for any reason (sign-out, a refused refresh, another user signing in). Worker-safe: the service
 * worker ends sessions too (a refresh refused during Background Sync).
 *
 * The outbox is kept: each item is bound to the user who queued it, is only ever listed and sent
 * for that user, and waits for them to sign in again. Shared caches (the app shell, map tiles,
 * reference data) stay: they hold nothing of anyone's cases.
 */
import { clearCaseCache } from "./db";

/** Cache Storage of case photos fetched with a user's token (filled by the service worker). */
export const PHOTO_CACHE = "tanggap-photos-v1";

/** Delete the cached case data (IndexedDB) and the cached photos (Cache Storage). */
export async function forgetUserData(): Promise<void> {
  await clearCaseCache();
  if (typeof caches !== "undefined") await caches.delete(PHOTO_CACHE);
}
