/**
 * The drawer's actions on a case: assign or reassign to a suggested team, transfer to another
 * agency with a reason, cancel or mark invalid with a reason, merge into a nearby case.
 */
import type { Schema } from "../lib/api-types";
import { formatDistance, t } from "../lib/i18n";
import { agencyName } from "../lib/reference";
import { FilterSelect } from "../ui/filter-select";

export type Suggestion = Schema<"SuggestionOut">;
export type Similar = Schema<"case_answers_SimilarOut">;

interface ActionProps {
  busy: boolean;
  /** Send one action (`/api/cases/{id}/<path>`); the drawer adds the case version. */
  act: (path: string, body: Record<string, unknown>) => Promise<void>;
}

export function AssignSection(
  p: ActionProps & { c: Schema<"CaseOut">; suggestions: Suggestion[] },
) {
  return (
    <section aria-labelledby="assign-h">
      <h3 id="assign-h">{p.c.team_id ? t("dispatch.reassign") : t("dispatch.assign")}</h3>
      <p class="muted">{t("dispatch.assign_hint")}</p>
      <ul class="plain-list">
        {p.suggestions.map((s) => (
          <li key={s.team_id} class="row between">
            <span>
              <strong>{s.name}</strong>{" "}
              <span class="muted">
                {s.distance_m === null ? "" : formatDistance(s.distance_m)} ·{" "}
                {t("intake.open_cases", { n: s.open_cases })}
              </span>
            </span>
            <button
              type="button"
              class="btn btn-secondary"
              disabled={p.busy || s.team_id === p.c.team_id}
              onClick={() => void p.act("assign", { team_id: s.team_id })}
            >
              {t("intake.assign_to", { team: s.name })}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The endings a case may be given from the drawer, each with a reason. */
const ENDINGS = [
  ["cancel", "dispatch.cancel"],
  ["invalid", "dispatch.invalid"],
] as const;

export function ReasonSection(
  p: ActionProps & {
    c: Schema<"CaseOut">;
    can: (action: string) => boolean;
    reason: string;
    setReason: (reason: string) => void;
    agencies: Schema<"AgencyRef">[];
    agency: string;
    setAgency: (agency: string) => void;
  },
) {
  const needReason = !p.reason.trim();
  return (
    <section aria-labelledby="reason-h">
      <h3 id="reason-h">{t("dispatch.other_actions")}</h3>
      <label class="field">
        <span>{t("dispatch.reason")}</span>
        <input
          type="text"
          value={p.reason}
          onInput={(e) => p.setReason((e.target as HTMLInputElement).value)}
        />
      </label>
      {p.can("transfer") && (
        <div class="row">
          <FilterSelect
            class="field grow"
            label={t("dispatch.transfer_to")}
            value={p.agency}
            all="–"
            options={p.agencies
              .filter((a) => a.id !== p.c.agency_id)
              .map((a) => ({ value: a.id, label: agencyName(a.id, a.name) }))}
            onChange={p.setAgency}
          />
          <button
            type="button"
            class="btn btn-secondary"
            disabled={p.busy || needReason || !p.agency}
            onClick={() => void p.act("transfer", { agency_id: Number(p.agency), note: p.reason })}
          >
            {t("dispatch.transfer")}
          </button>
        </div>
      )}
      <div class="row">
        {ENDINGS.filter(([action]) => p.can(action)).map(([action, label]) => (
          <button
            key={action}
            type="button"
            class="btn btn-outline-danger"
            disabled={p.busy || needReason}
            onClick={() => void p.act("transitions", { action, note: p.reason })}
          >
            {t(label)}
          </button>
        ))}
      </div>
    </section>
  );
}

export function MergeSection(p: ActionProps & { similar: Similar[] }) {
  return (
    <section aria-labelledby="merge-h">
      <h3 id="merge-h">{t("dispatch.merge")}</h3>
      <ul class="plain-list">
        {p.similar.map((s) => (
          <li key={s.case.id} class="row between">
            <span>
              {s.case.reference} · {formatDistance(s.distance_m)}
            </span>
            <button
              type="button"
              class="btn btn-secondary"
              disabled={p.busy}
              onClick={() => void p.act("merge", { parent_id: s.case.id })}
            >
              {t("dispatch.merge_into", { ref: s.case.reference })}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
