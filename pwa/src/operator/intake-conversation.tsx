/**
 * A WhatsApp or SMS conversation on the intake screen: the citizen's messages (text, shared
 * location, photos) and the operator's replies with their delivery state, a reply box, and,
 * once the case is made, "send the tracking code" as the channel's template.
 *
 * The live stream (`conversation` events, relayed by the intake screen as `tick`) says when a
 * message came in or one of ours changed state: the panel reloads then, not on a timer. While the
 * stream is down (`live` false) it looks every 30 s, and once more when the stream is back (the
 * stream does not replay these events).
 *
 * Each reply carries a key made once per message: a retried request, or a second click while
 * the first is on its way, is the same message to the API, which sends it once. Shown only for
 * a call that has messages (a phone call has none).
 */
import { useEffect, useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { formatTime, type Key, t } from "../lib/i18n";
import { api } from "../lib/session";
import { useSendOnce } from "../ui/send-once";
import "../ui/control-words";

type Message = Schema<"MessageOut">;
type Language = "id" | "en";

// Only while the live stream is down: how often to look for news.
const FALLBACK_POLL_MS = 30_000;

function line(m: Message): string {
  if (m.kind === "location") return t("conv.location");
  if (m.kind === "image") return m.has_photo ? t("conv.photo") : m.body;
  return m.body;
}

interface ConversationProps {
  callId: number;
  hasCase: boolean;
  /** Changes on every live `conversation` event of this call. */
  tick: number;
  /** Whether the live stream is connected. */
  live: boolean;
}

export function Conversation({ callId, hasCase, tick, live }: ConversationProps) {
  const url = `/api/calls/${callId}/messages`;
  const [messages, setMessages] = useState<Message[]>([]);
  const [text, setText] = useState("");
  const [language, setLanguage] = useState<Language>("id");
  const { busy, error, send: sendOnce } = useSendOnce();

  useEffect(() => {
    let stop = false;
    async function load() {
      try {
        const found = await api.request<Message[]>(url);
        if (!stop) setMessages(found);
      } catch {
        // The conversation is a help: the intake goes on without it.
      }
    }
    void load();
    const timer = live ? undefined : window.setInterval(() => void load(), FALLBACK_POLL_MS);
    return () => {
      stop = true;
      window.clearInterval(timer);
    };
  }, [url, tick, live]);

  async function send(json: Record<string, string>) {
    const sent = await sendOnce((key) => api.request<Message>(url, { json: { ...json, key } }));
    if (!sent) return;
    setMessages((all) => (all.some((m) => m.id === sent.id) ? all : [...all, sent]));
    if (json.text) setText("");
  }

  if (messages.length === 0) return null;
  return (
    <section class="card" aria-labelledby="conv-h" data-testid="conversation">
      <h2 id="conv-h">{t("conv.title")}</h2>
      <ol class="conversation">
        {messages.map((m) => (
          <li key={m.id} data-direction={m.direction}>
            <strong>{m.direction === "in" ? t("conv.in") : t("conv.out")}</strong>{" "}
            <time>{formatTime(m.created_at, false)}</time> {line(m)}{" "}
            {m.direction === "out" && <em>{t(`conv.status.${m.status}` as Key)}</em>}
          </li>
        ))}
      </ol>
      <label>
        {t("conv.reply")}
        <textarea value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      </label>
      <button
        type="button"
        class="btn btn-secondary"
        disabled={busy || !text.trim()}
        data-testid="conversation-send"
        onClick={() => void send({ text: text.trim() })}
      >
        {t("conv.send")}
      </button>
      {hasCase && (
        <div class="caller-sms-send">
          <select
            aria-label={t("sms.language")}
            value={language}
            onChange={(e) => setLanguage((e.target as HTMLSelectElement).value as Language)}
          >
            <option value="id">Bahasa Indonesia</option>
            <option value="en">English</option>
          </select>
          <button
            type="button"
            class="btn btn-secondary"
            disabled={busy}
            onClick={() => void send({ template: "tracking_code", language })}
          >
            {t("conv.tracking")}
          </button>
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
