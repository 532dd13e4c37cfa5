/**
 * Team management for an agency's coordinator (route /teams): which teams are on duty, and who
 * is in each team. The API limits both to the coordinator's own agency (admins see every team).
 */
import "../operator/intake.css";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { mayOpen } from "../lib/router";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import { app, showToast } from "../shell/state";
import { NotForRole, PageTitle, useLanguage } from "../shell/ui";
import { ErrorText } from "../ui/room-table";
import { type TeamItem, useTeams } from "../ui/room-teams";

type Member = Schema<"TeamMember">;

function TeamCard({ team, onChange }: { team: TeamItem; onChange: (t: TeamItem) => void }) {
  // null while loading: an empty list would read as "this team has no one".
  const [candidates, setCandidates] = useState<Member[] | null>(null);
  const [candidatesFailed, setCandidatesFailed] = useState(false);
  const [chosen, setChosen] = useState<Set<number>>(new Set(team.members.map((m) => m.id)));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  useEffect(() => {
    setCandidatesFailed(false);
    void api
      .request<Member[]>(`/api/teams/${team.id}/candidates`)
      .then(setCandidates)
      .catch(() => setCandidatesFailed(true));
  }, [team.id]);

  const fail = (err: unknown) =>
    setError(err instanceof ApiError && err.detail ? err.detail : t("error.unknown"));

  async function toggleDuty() {
    setBusy(true);
    setError("");
    try {
      await api.request(`/api/teams/${team.id}/duty`, {
        method: "PUT",
        json: { on_duty: !team.on_duty },
      });
      onChange({ ...team, on_duty: !team.on_duty });
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  }

  async function save() {
    setBusy(true);
    setError("");
    try {
      const updated = await api.request<TeamItem>(`/api/teams/${team.id}/members`, {
        method: "PUT",
        json: { user_ids: [...chosen] },
      });
      onChange(updated);
      showToast("teams.saved", { team: team.name });
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  }

  const headingId = `team-${team.id}-h`;
  return (
    <section class="card" aria-labelledby={headingId} data-testid="team-card" data-team={team.name}>
      <div class="row between">
        <h2 id={headingId}>{team.name}</h2>
      </div>
      {/* A labelled switch: the words say the state, not a tick or a cross. */}
      <button
        type="button"
        role="switch"
        aria-checked={team.on_duty}
        class={`switch ${team.on_duty ? "on" : "off"}`}
        disabled={busy}
        data-testid="duty-toggle"
        onClick={() => void toggleDuty()}
      >
        <span class="switch-track" aria-hidden="true">
          <span class="switch-thumb" />
        </span>
        <span class="switch-label">
          <span class="small muted">{t("teams.duty_label", { team: team.name })}</span>
          <strong data-testid="duty-state">
            {team.on_duty ? t("teams.on_duty") : t("teams.off_duty")}
          </strong>
        </span>
      </button>
      <ErrorText error={error} />
      <fieldset class="plain">
        <legend>{t("teams.members")}</legend>
        {candidatesFailed ? (
          <p class="error" role="alert">
            {t("teams.members_failed")}
          </p>
        ) : candidates === null ? (
          <p class="muted" role="status" aria-busy="true" data-testid="members-loading">
            {t("teams.members_loading")}
          </p>
        ) : null}
        {(candidates ?? []).map((m) => (
          <label key={m.id} class="check">
            <input
              type="checkbox"
              checked={chosen.has(m.id)}
              onChange={(e) => {
                const next = new Set(chosen);
                if ((e.target as HTMLInputElement).checked) next.add(m.id);
                else next.delete(m.id);
                setChosen(next);
              }}
            />
            <span>{m.full_name}</span>
          </label>
        ))}
      </fieldset>
      <button
        type="button"
        class="btn btn-secondary"
        disabled={busy || candidates === null}
        onClick={() => void save()}
      >
        {t("teams.save", { team: team.name })}
      </button>
    </section>
  );
}

export function Teams() {
  useLanguage();
  const s = useStore(app);
  const allowed = mayOpen(s.session?.user.role, "teams");
  const [teams, setTeams] = useTeams(allowed);

  if (!allowed) {
    return <NotForRole title={t("teams.title")} body={t("teams.not_allowed")} />;
  }
  return (
    <section class="screen console" data-testid="teams">
      <PageTitle>{t("teams.title")}</PageTitle>
      <p class="muted">{t("teams.hint")}</p>
      {teams === null ? (
        <p class="loading">{t("app.loading")}</p>
      ) : (
        <div class="teams-grid">
          {teams.map((team) => (
            <TeamCard
              key={team.id}
              team={team}
              onChange={(u) => setTeams((list) => (list ?? []).map((x) => (x.id === u.id ? u : x)))}
            />
          ))}
        </div>
      )}
    </section>
  );
}
