/**
 * After the case is made: the tracking code and PIN to read back to the caller (and, where the
 * service has an SMS gateway, the code sent by SMS), then the nearest suggested teams to assign
 * (or what was done: assigned or merged).
 */
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { formatDistance, t } from "../lib/i18n";
import { CallerSms } from "../ui/caller-sms";

export type Created = Schema<"IntakeOut">;
export type Suggestion = Schema<"SuggestionOut">;
type Tracking = Schema<"CallerTracking">;

export function age(seconds: number | null): string {
  if (seconds === null) return t("intake.no_fix");
  if (seconds < 90) return t("intake.fix_seconds", { n: seconds });
  return t("intake.fix_minutes", { n: Math.round(seconds / 60) });
}

/** The code and PIN the operator reads back to the caller, large, with a copy button. */
function ReadBack({ tracking }: { tracking: Tracking }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(`${tracking.code} ${tracking.pin}`);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }
  return (
    <div class="read-back" data-testid="caller-tracking">
      <p>{t("intake.read_back", { phone: tracking.phone })}</p>
      <dl>
        <dt>{t("intake.tracking_code")}</dt>
        <dd class="read-back-value" data-testid="tracking-code">
          {tracking.code}
        </dd>
        <dt>{t("intake.tracking_pin")}</dt>
        <dd class="read-back-value" data-testid="tracking-pin">
          {tracking.pin}
        </dd>
      </dl>
      <button type="button" class="btn btn-secondary" onClick={() => void copy()}>
        {copied ? t("intake.copied") : t("intake.copy")}
      </button>
    </div>
  );
}

function TeamSuggestions({
  suggestions,
  busy,
  onAssign,
}: {
  suggestions: Suggestion[];
  busy: boolean;
  onAssign: (team: Suggestion) => void;
}) {
  const columns = [
    t("intake.team"),
    t("intake.distance"),
    t("intake.fix_age"),
    t("intake.workload"),
  ];
  return (
    <table class="teams" data-testid="team-suggestions">
      <caption>{t("intake.teams")}</caption>
      <thead>
        <tr>
          {columns.map((label) => (
            <th key={label} scope="col">
              {label}
            </th>
          ))}
          <th scope="col">
            <span class="visually-hidden">{t("intake.assign")}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {suggestions.map((g) => (
          <tr key={g.team_id} data-testid="team-suggestion" data-team={g.name}>
            <th scope="row">{g.name}</th>
            <td>{g.distance_m === null ? "–" : formatDistance(g.distance_m)}</td>
            <td>{age(g.position_age_s)}</td>
            <td>{t("intake.open_cases", { n: g.open_cases })}</td>
            <td>
              <button
                type="button"
                class="btn btn-primary"
                disabled={busy}
                onClick={() => onAssign(g)}
              >
                {t("intake.assign_to", { team: g.name })}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CreatedPanel({
  created,
  suggestions,
  done,
  busy,
  onAssign,
  onNext,
}: {
  created: Created;
  suggestions: Suggestion[] | null;
  done: string | null;
  busy: boolean;
  onAssign: (team: Suggestion) => void;
  onNext: () => void;
}) {
  return (
    <section aria-labelledby="created-h" data-testid="created">
      <h3 id="created-h">{t("intake.created", { ref: created.reference })}</h3>
      <p class="muted small">
        {t("case.plus_code")}:{" "}
        <span data-testid="created-plus-code" translate={false}>
          {created.plus_code}
        </span>
      </p>
      {created.caller_tracking && <ReadBack tracking={created.caller_tracking} />}
      {created.caller_tracking && <CallerSms caseId={created.id} />}
      {done ? (
        <p class="done" role="status" data-testid="intake-done">
          {done}
        </p>
      ) : suggestions === null ? (
        <p class="loading">{t("app.loading")}</p>
      ) : suggestions.length === 0 ? (
        <p>{t("intake.no_teams")}</p>
      ) : (
        <TeamSuggestions suggestions={suggestions} busy={busy} onAssign={onAssign} />
      )}
      {done && (
        <button type="button" class="btn btn-primary" onClick={onNext}>
          {t("intake.new_call")}
        </button>
      )}
    </section>
  );
}
