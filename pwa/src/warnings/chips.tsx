/** Small pieces the warning list and one warning share. */
import { t } from "../lib/i18n";
import { capWord, type StaffWarning, stateOf } from "./data";

/** A warning's state, as words. */
export function StateChip({ w }: { w: StaffWarning }) {
  const state = stateOf(w);
  return (
    <span class={`badge warn-state warn-state-${state}`} data-testid="warning-state">
      {capWord("status", state)}
    </span>
  );
}

/** The warning an update or cancellation changes. */
export function Lineage({ w }: { w: StaffWarning }) {
  if (!w.references_id) return null;
  const key = w.msg_type === "Cancel" ? "warn.cancels" : "warn.updates";
  return (
    <p class="warn-lineage">
      <a href={`/warnings/${w.references_id}`}>{t(key, { id: w.references_id })}</a>
    </p>
  );
}
