/**
 * Sending a message to a caller once: one key per intended message, kept for a retry when no
 * answer came (the API then sends nothing more) and dropped once the API answered, yes or no.
 * Used by the tracking-code SMS (caller-sms.tsx) and the conversation reply (intake-conversation).
 */
import { useRef, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import { t } from "../lib/i18n";

export function useSendOnce() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const key = useRef<string | null>(null);

  async function send<T>(request: (key: string) => Promise<T>): Promise<T | null> {
    key.current ??= crypto.randomUUID();
    setBusy(true);
    setError("");
    try {
      const answer = await request(key.current);
      key.current = null;
      return answer;
    } catch (e) {
      // An answer that was refused is final for this key; no answer keeps it for the retry.
      if (e instanceof ApiError) key.current = null;
      setError(e instanceof ApiError && e.detail ? e.detail : t("sms.offline"));
      return null;
    } finally {
      setBusy(false);
    }
  }

  return { busy, error, send };
}
