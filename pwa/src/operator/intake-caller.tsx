/** The intake console's left column: incoming calls, the caller (number and history), the classes. */
import { useEffect, useRef } from "preact/hooks";
import { formatTime, type Key, t } from "../lib/i18n";
import { statusLabel } from "../shell/ui";
import { type Fix, FixSummary } from "./intake-aml";
import { type CallOut, CLASSES, type History, useCallerHistory } from "./intake-hooks";
import "../ui/control-words";

export function IncomingCalls({
  incoming,
  fixes,
  onTake,
}: {
  incoming: CallOut[];
  /** The calls' AML locations, by call id. */
  fixes: Record<number, Fix>;
  onTake: (call: CallOut) => void;
}) {
  return (
    <section class="card" aria-labelledby="incoming-h">
      <h2 id="incoming-h">{t("intake.incoming")}</h2>
      {incoming.length === 0 ? (
        <p class="muted">{t("intake.no_incoming")}</p>
      ) : (
        <ul class="plain-list" data-testid="incoming">
          {incoming.map((c) => (
            <li key={c.id} class="row between" data-testid="incoming-call">
              <span>
                <strong>{c.number ?? t("intake.unknown_number")}</strong>{" "}
                <span class="muted">{formatTime(c.started_at, false)}</span>
                {c.channel !== "phone" && <span class="muted"> · {t("conv.channel")}</span>}
                {fixes[c.id] && (
                  <>
                    <br />
                    <FixSummary fix={fixes[c.id]} testid="incoming-aml" />
                  </>
                )}
              </span>
              <button type="button" class="btn btn-primary" onClick={() => onTake(c)}>
                {t("intake.take")}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function CallerHistory({ history }: { history: History }) {
  return (
    <div data-testid="caller-history">
      {history.flagged && (
        <p class="prank-warning" role="alert" data-testid="prank-warning">
          {t("intake.prank_flagged", {
            n: history.prank_count,
            until: history.flagged_until ? formatTime(history.flagged_until) : "",
          })}
        </p>
      )}
      {!history.flagged && history.prank_count > 0 && (
        <p class="prank-note" data-testid="prank-note">
          {t("intake.prank_count", { n: history.prank_count })}
        </p>
      )}
      <p>
        {t("intake.history_summary", {
          calls: history.calls.length,
          cases: history.cases.length,
        })}
      </p>
      {history.cases.length > 0 && (
        <ul class="plain-list">
          {history.cases.slice(0, 5).map((c) => (
            <li key={c.id}>
              {c.reference} · {statusLabel(c.status)} · {formatTime(c.created_at)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The caller's number (focused when a new call starts) and what the line knows about it. */
export function CallerCard({
  number,
  onNumber,
  callId,
  focus,
}: {
  number: string;
  onNumber: (n: string) => void;
  callId: number | null;
  focus: boolean;
}) {
  const history = useCallerHistory(number);
  const numberRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (focus) numberRef.current?.focus();
  }, []);
  return (
    <section class="card" aria-labelledby="caller-h">
      <h2 id="caller-h">{t("intake.caller")}</h2>
      <label class="field">
        <span>{t("intake.number")}</span>
        <input
          ref={numberRef}
          type="tel"
          name="caller-number"
          autoComplete="off"
          value={number}
          data-testid="caller-number"
          onInput={(e) => onNumber((e.target as HTMLInputElement).value)}
        />
      </label>
      {callId && (
        <p class="muted" data-testid="call-id">
          {t("intake.call_open", { id: callId })}
        </p>
      )}
      {history && <CallerHistory history={history} />}
    </section>
  );
}

export function ClassifyCard({
  disabled,
  onClass,
}: {
  disabled: boolean;
  onClass: (cls: string) => void;
}) {
  return (
    <section class="card" aria-labelledby="classify-h">
      <h2 id="classify-h">{t("intake.classify")}</h2>
      <p class="muted">{t("intake.classify_hint")}</p>
      <div class="class-buttons">
        {CLASSES.map((c) => (
          <button
            key={c.cls}
            type="button"
            class="btn btn-secondary"
            data-class={c.cls}
            disabled={disabled}
            aria-keyshortcuts={`Alt+${c.digit} ${c.letter.toUpperCase()}`}
            onClick={() => onClass(c.cls)}
          >
            {t(`call_class.${c.cls}` as Key)}
            <span class="key-hint" aria-hidden="true">
              <kbd>Alt+{c.digit}</kbd> <kbd>{c.letter.toUpperCase()}</kbd>
            </span>
          </button>
        ))}
      </div>
    </section>
  );
}
