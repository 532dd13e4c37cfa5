/**
 * The intake console's data hooks: calls the PBX opened, the caller's history as the number is
 * typed, cases near the pin as it moves, and the one-key call classes.
 *
 * Calls the PBX opens, and WhatsApp or SMS conversations, are read with GET /api/calls?limit=5: at once when the live stream says a
 * call opened (`refresh`, intake-aml.tsx), and every few seconds in case the stream is down.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import type { LatLon } from "../lib/coords";
import { api } from "../lib/session";

export type CallOut = Schema<"CallOut">;
export type History = Schema<"HistoryOut">;
export type Category = Schema<"CategoryItem">;
export type Similar = Schema<"case_answers_SimilarOut">;

/** Non-valid classes, their digit (Alt+digit anywhere) and letter (outside text fields). */
export const CLASSES = [
  { cls: "ghost", digit: "1", letter: "g" },
  { cls: "prank", digit: "2", letter: "p" },
  { cls: "informasi", digit: "3", letter: "i" },
  { cls: "curhat", digit: "4", letter: "c" },
  { cls: "wrong_number", digit: "5", letter: "w" },
] as const;

const POLL_MS = 3000;

/** A call someone waits on: the PBX rings it, or a citizen wrote on WhatsApp or by SMS. */
const waiting = (c: CallOut) => !!c.pbx_call_id || c.channel === "whatsapp" || c.channel === "sms";

/** Calls the PBX opened (or conversations that came in) that nobody has classified (or taken on this screen) yet. */
export function useIncoming(allowed: boolean, handled: Set<number>) {
  const [incoming, setIncoming] = useState<CallOut[]>([]);
  const pollNow = useRef<() => void>(() => {});
  useEffect(() => {
    if (!allowed) return;
    let stop = false;
    const poll = async () => {
      try {
        const calls = await api.request<CallOut[]>("/api/calls?limit=5");
        if (!stop) {
          setIncoming(calls.filter((c) => waiting(c) && c.class === null && !handled.has(c.id)));
        }
      } catch {
        // Offline or a hiccup: the next poll tries again.
      }
    };
    pollNow.current = () => void poll();
    void poll();
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [allowed]);
  const drop = (id: number) => setIncoming((list) => list.filter((c) => c.id !== id));
  return { incoming, drop, refresh: () => pollNow.current() };
}

/** The number's history, shortly after the operator stops typing. */
export function useCallerHistory(number: string): History | null {
  const [history, setHistory] = useState<History | null>(null);
  useEffect(() => {
    const digits = number.replace(/\D/g, "");
    if (digits.length < 8) {
      setHistory(null);
      return;
    }
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      api
        // The number is personal data: a header, never the URL.
        .request<History>("/api/calls/history", {
          signal: ctl.signal,
          headers: { "X-Caller-Number": number },
        })
        .then(setHistory)
        .catch(() => setHistory(null));
    }, 300);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [number]);
  return history;
}

/** Open cases of the category near the pin, as it moves, less those the operator rejected. */
export function useSimilar(category: Category | null, pin: LatLon | null, frozen: boolean) {
  const [similar, setSimilar] = useState<Similar[]>([]);
  const [rejected, setRejected] = useState<Set<string>>(new Set());
  useEffect(() => {
    if (!category || !pin || frozen) {
      setSimilar([]);
      return;
    }
    const ctl = new AbortController();
    const q = `category=${encodeURIComponent(category.code)}&lat=${pin.lat}&lon=${pin.lon}`;
    api
      .request<Similar[]>(`/api/cases/similar?${q}`, { signal: ctl.signal })
      .then(setSimilar)
      .catch(() => setSimilar([]));
    return () => ctl.abort();
  }, [category?.id, pin?.lat, pin?.lon, frozen]);
  const shown = similar.filter((x) => !rejected.has(x.case.id));
  const reject = (id: string) => setRejected(new Set([...rejected, id]));
  return { shown, reject };
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
}

/** One key per class: Alt+digit anywhere, the letter when no text field has focus; Alt+N: next call. */
export function useClassKeys(onClass: (cls: string) => void, onNext: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey) return;
      if (e.altKey && !e.shiftKey) {
        if (e.code === "KeyN") {
          e.preventDefault();
          onNext();
          return;
        }
        const hit = CLASSES.find((c) => e.code === `Digit${c.digit}`);
        if (hit) {
          e.preventDefault();
          onClass(hit.cls);
        }
        return;
      }
      if (e.altKey || e.shiftKey || isTyping(e.target)) return;
      const hit = CLASSES.find((c) => e.key.toLowerCase() === c.letter);
      if (hit) {
        e.preventDefault();
        onClass(hit.cls);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  });
}
