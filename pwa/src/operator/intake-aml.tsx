/**
 * The caller's location from the phone network (Advanced Mobile Location) on the intake screen.
 *
 * The live stream (/api/events) says when the PBX opens a call and when a call's AML location
 * changes (the best recent fix, never the number): the screen shows it on the ringing call within
 * a second, and on the map with its accuracy circle once the call is taken. A call that was
 * located before the screen opened is asked for once (GET /api/calls/{id}/location). One click
 * makes the fix the case's pin.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { openLive } from "../dispatch/live";
import type { Schema } from "../lib/api-types";
import { formatDistance, type Key, t } from "../lib/i18n";
import { api } from "../lib/session";
import { age } from "./intake-created";
import "../ui/control-words";

export type Fix = Schema<"FixOut">;
type CallLocation = Schema<"CallLocationOut">;

/** The calls' AML fixes by call id, current by the live stream; `onOpened` when a call rings,
 * `onConversation` when a WhatsApp or SMS conversation's messages changed. `live` says whether
 * the stream is connected. */
export function useCallFixes(
  allowed: boolean,
  callIds: number[],
  onOpened: () => void,
  onConversation: (callId: number) => void = () => {},
) {
  const [fixes, setFixes] = useState<Record<number, Fix>>({});
  const [live, setLive] = useState(false);
  const asked = useRef(new Set<number>());
  const opened = useRef(onOpened);
  opened.current = onOpened;
  const conversation = useRef(onConversation);
  conversation.current = onConversation;

  useEffect(() => {
    if (!allowed) return;
    return openLive({
      onCase: () => {},
      onPosition: () => {},
      onResync: () => opened.current(),
      onState: (connected) => {
        // Back after a break: fixes may have changed unheard; ask again for every call shown.
        if (connected) asked.current.clear();
        setLive(connected);
      },
      onCall: (e) => {
        // A call that opens with its fix already there is announced by its location alone.
        opened.current();
        const fix = e.fix;
        if (e.kind === "location" && fix) setFixes((f) => ({ ...f, [e.id]: fix }));
      },
      onConversation: (e) => conversation.current(e.id),
    });
  }, [allowed]);

  // Calls located before this screen opened, or while the stream was down.
  useEffect(() => {
    for (const id of callIds) {
      if (asked.current.has(id)) continue;
      asked.current.add(id);
      api
        .request<CallLocation>(`/api/calls/${id}/location`)
        .then((loc) => {
          const fix = loc.fix;
          if (fix) setFixes((f) => ({ ...f, [id]: fix }));
        })
        .catch(() => asked.current.delete(id));
    }
  }, [callIds.join(","), live]);

  return { fixes, live };
}

/** Seconds since the fix was taken, counting on by itself. */
function useAgeSeconds(fixedAt: string): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return Math.max(0, Math.round((now - new Date(fixedAt).getTime()) / 1000));
}

/** "±12 m · GPS · 5 seconds ago": how precise, how found, how old. */
export function FixSummary({ fix, testid }: { fix: Fix; testid: string }) {
  const seconds = useAgeSeconds(fix.fixed_at);
  return (
    <span class="aml-fix" data-testid={testid} data-accuracy={fix.accuracy_m}>
      {t("intake.aml_fix", {
        r: formatDistance(fix.accuracy_m),
        method: t(`intake.aml_method.${fix.method}` as Key),
        age: age(seconds),
      })}
    </span>
  );
}

/** Above the map: the call's AML location and the one click that makes it the case's pin. */
export function AmlCard({
  fix,
  disabled,
  onUse,
}: {
  fix: Fix | null;
  disabled: boolean;
  onUse: (fix: Fix) => void;
}) {
  if (!fix) return null;
  return (
    <div class="aml-card" data-testid="aml-card" aria-live="polite">
      <div>
        <strong>{t("intake.aml_title")}</strong>
        <br />
        <FixSummary fix={fix} testid="aml-summary" />
      </div>
      <button
        type="button"
        class="btn btn-secondary"
        disabled={disabled}
        data-testid="aml-use"
        onClick={() => onUse(fix)}
      >
        {t("intake.aml_use")}
      </button>
    </div>
  );
}
