/**
 * The control room's live stream (GET /api/events, Server-Sent Events) with reconnection that
 * loses nothing: the last case event id is kept and, whenever the stream drops (network, token
 * expiry, a listener restart), it is reopened with a fresh token and `?after=<last id>`, so the
 * server replays what was missed. `resync` (too much missed) asks the screen to reload its lists.
 *
 * EventSource cannot send an Authorization header, and an access token must never sit in a URL
 * (proxy logs, history): each (re)connection first asks for a single-use ticket valid for 30 s
 * (POST /api/events/tickets, with the bearer token) and opens `?ticket=...` with it.
 */

import type { Schema } from "../lib/api-types";
import { api } from "../lib/session";
import { reloadWarnings } from "../ui/warning-banner";

// The stream's events are not in the OpenAPI document (Server-Sent Events, not JSON answers):
// their shapes are declared here, next to the one reader of the stream.
export interface CaseLiveEvent {
  t: "case";
  id: number;
  case_id: string;
  reference: string;
  kind: string;
  status: string;
  priority: string;
  agency_id: number;
  team_id: number | null;
  lat: number;
  lon: number;
}

export interface PositionLiveEvent {
  t: "position";
  team_id: number;
  agency_id: number;
  lat: number;
  lon: number;
  accuracy_m: number | null;
  at: string | null;
}

/** A team went on or off duty; never with a position (off duty, it is private). */
export interface DutyLiveEvent {
  t: "duty";
  team_id: number;
  agency_id: number;
  on_duty: boolean;
}

/** A call the PBX opened, or its new caller location (AML); never the caller's number. Sent only
 * to staff who may see calls. */
export interface CallLiveEvent {
  t: "call";
  id: number;
  kind: "opened" | "location";
  fix: Schema<"FixOut"> | null;
}

/** A WhatsApp or SMS conversation (its call) changed: a message came in, or one of ours was
 * queued, sent, delivered, read or failed. Only the call's id: reload its messages. Sent only to
 * staff who may see calls. */
export interface ConversationLiveEvent {
  t: "conversation";
  id: number;
}

export interface LiveHandlers {
  onCase(e: CaseLiveEvent): void;
  onPosition(e: PositionLiveEvent): void;
  onDuty?(e: DutyLiveEvent): void;
  /** The ringing calls changed (call-statistics roles): reload GET /api/calls/queue. */
  onQueue?(): void;
  onCall?(e: CallLiveEvent): void;
  onConversation?(e: ConversationLiveEvent): void;
  onResync(): void;
  onState(connected: boolean): void;
}

export function openLive(h: LiveHandlers): () => void {
  let es: EventSource | null = null;
  let last = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let backoff = 1000;

  const connect = async () => {
    if (stopped) return;
    let ticket = "";
    try {
      // The bearer request refreshes the access token first when it is about to expire.
      ticket = (await api.request<Schema<"TicketOut">>("/api/events/tickets", { method: "POST" }))
        .ticket;
    } catch {
      retry();
      return;
    }
    if (stopped || !ticket) return;
    const after = last ? `&after=${last}` : "";
    es = new EventSource(`/api/events?ticket=${encodeURIComponent(ticket)}${after}`);
    es.addEventListener("hello", (ev) => {
      backoff = 1000;
      h.onState(true);
      const id = Number((ev as MessageEvent).lastEventId);
      if (!last && id) last = id;
    });
    es.addEventListener("case", (ev) => {
      const m = ev as MessageEvent<string>;
      const id = Number(m.lastEventId);
      if (id && id > last) last = id;
      h.onCase(JSON.parse(m.data) as CaseLiveEvent);
    });
    es.addEventListener("position", (ev) => {
      h.onPosition(JSON.parse((ev as MessageEvent<string>).data) as PositionLiveEvent);
    });
    es.addEventListener("duty", (ev) => {
      h.onDuty?.(JSON.parse((ev as MessageEvent<string>).data) as DutyLiveEvent);
    });
    es.addEventListener("queue", () => h.onQueue?.());
    // An area warning was published: the warning banner reloads.
    es.addEventListener("warning", () => reloadWarnings());
    es.addEventListener("call", (ev) => {
      h.onCall?.(JSON.parse((ev as MessageEvent<string>).data) as CallLiveEvent);
    });
    es.addEventListener("conversation", (ev) => {
      h.onConversation?.(JSON.parse((ev as MessageEvent<string>).data) as ConversationLiveEvent);
    });
    es.addEventListener("resync", (ev) => {
      const id = Number((ev as MessageEvent).lastEventId);
      if (id) last = id;
      h.onResync();
    });
    es.onerror = () => {
      // Reopen ourselves: the browser's own retry would reuse a spent ticket.
      es?.close();
      es = null;
      h.onState(false);
      retry();
    };
  };

  const retry = () => {
    if (stopped) return;
    timer = setTimeout(() => void connect(), backoff);
    backoff = Math.min(backoff * 2, 30_000);
  };

  void connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    es?.close();
  };
}
