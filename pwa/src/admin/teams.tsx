/**
 * Teams: name, agency, duty state (switched here) and members. Choosing a team opens its members:
 * remove one, or search the agency's staff by name and add them (the API keeps a team's members
 * in its own agency and answers in words when they are not).
 */
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { CheckedForm, CheckedSelect, CheckedText } from "../ui/checked-field";
import { TextField } from "../ui/form-field";
import { useFormProblem } from "../ui/form-problem";
import { ErrorText } from "../ui/room-table";
import { idOrNull, loadError, named, namedOptions, roleName, send, useList } from "./data";
import { AdminTable } from "./table";

type Agency = Schema<"AgencyOut">;
type Team = Schema<"TeamOut">;
type User = Schema<"UserOut">;

const FIELDS = ["name", "agency_id"] as const;
const CODES = { already_exists: "name" };

function CreateTeam({ agencies, done }: { agencies: Agency[] | null; done: () => void }) {
  const [name, setName] = useState("");
  const [agency, setAgency] = useState("");
  const { busy, problem, run } = useFormProblem(FIELDS, CODES);
  const submit = () =>
    run(async () => {
      const body = { name: name.trim(), agency_id: idOrNull(agency), on_duty: false };
      await send<Team>("/api/admin/teams", "POST", body);
      setName("");
      done();
    });
  return (
    <CheckedForm
      id="team-new"
      title={t("admin.team.new")}
      submit={t("admin.team.create")}
      busy={busy}
      general={problem.general}
      onSubmit={submit}
    >
      <CheckedText
        form="team-new"
        name="name"
        label={t("admin.col.name")}
        value={name}
        onValue={setName}
        error={problem.fields.name}
      />
      <CheckedSelect
        form="team-new"
        name="agency_id"
        label={t("admin.col.agency")}
        value={agency}
        onValue={setAgency}
        options={namedOptions(agencies)}
        none={t("admin.choose")}
        error={problem.fields.agency_id}
      />
    </CheckedForm>
  );
}

function Members({ team, users, done }: { team: Team; users: User[]; done: () => void }) {
  const [q, setQ] = useState("");
  const [error, setError] = useState("");
  const members = users.filter((u) => team.member_ids.includes(u.id));
  const needle = q.trim().toLowerCase();
  const found = needle
    ? users.filter(
        (u) =>
          u.active &&
          u.agency_id === team.agency_id &&
          !team.member_ids.includes(u.id) &&
          `${u.full_name} ${u.username}`.toLowerCase().includes(needle),
      )
    : [];
  async function put(ids: number[]) {
    setError("");
    try {
      await send<Team>(`/api/admin/teams/${team.id}/members`, "PUT", { user_ids: ids });
      done();
    } catch (err) {
      setError(loadError(err));
    }
  }
  const person = (u: User) => `${u.full_name} (${roleName(u.role)})`;
  return (
    <section class="checked-form" data-testid="team-members" aria-labelledby="team-members-h">
      <h3 id="team-members-h">{t("admin.team.members_of", { name: team.name })}</h3>
      <ErrorText error={error} />
      <ul class="admin-people">
        {members.map((u) => (
          <li key={u.id}>
            {person(u)}{" "}
            <button
              type="button"
              class="btn btn-secondary btn-small"
              onClick={() => put(team.member_ids.filter((id) => id !== u.id))}
            >
              {t("admin.team.remove", { name: u.full_name })}
            </button>
          </li>
        ))}
      </ul>
      <TextField
        id="team-member-q"
        label={t("admin.team.search")}
        value={q}
        onValue={setQ}
        attrs={{ type: "search", autocomplete: "off" }}
      />
      <ul class="admin-people" data-testid="team-member-found">
        {found.map((u) => (
          <li key={u.id}>
            {person(u)}{" "}
            <button
              type="button"
              class="btn btn-secondary btn-small"
              onClick={() => put([...team.member_ids, u.id])}
            >
              {t("admin.team.add", { name: u.full_name })}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function TeamsPanel({ agencies }: { agencies: Agency[] | null }) {
  const teams = useList<Team>("/api/admin/teams");
  const users = useList<User>("/api/admin/users");
  const [open, setOpen] = useState<number | null>(null);
  const [error, setError] = useState("");
  const agencyName = (id: number) => {
    const a = agencies?.find((x) => x.id === id);
    return a ? named(a) : "—";
  };
  async function duty(team: Team) {
    setError("");
    try {
      await send<Team>(`/api/admin/teams/${team.id}`, "PATCH", { on_duty: !team.on_duty });
      await teams.reload();
    } catch (err) {
      setError(loadError(err));
    }
  }
  const chosen = teams.rows?.find((x) => x.id === open);
  return (
    <>
      <ErrorText error={teams.error || users.error || error} />
      <AdminTable
        id="teams"
        title={t("admin.teams")}
        rows={teams.rows ?? []}
        cols={[
          ["admin.col.name", (x) => x.name],
          ["admin.col.agency", (x) => agencyName(x.agency_id)],
          ["admin.col.members", (x) => x.member_ids.length, true],
          ["admin.col.duty", (x) => t(x.on_duty ? "teams.on_duty" : "teams.off_duty")],
        ]}
        actions={(x) => (
          <>
            <button type="button" class="btn btn-secondary btn-small" onClick={() => duty(x)}>
              {t(x.on_duty ? "admin.team.off" : "admin.team.on")}
            </button>
            <button
              type="button"
              class="btn btn-secondary btn-small"
              aria-expanded={open === x.id}
              data-testid={`team-members-${x.name}`}
              onClick={() => setOpen(open === x.id ? null : x.id)}
            >
              {t("admin.team.members")}
            </button>
          </>
        )}
      />
      {chosen && (
        <Members team={chosen} users={users.rows ?? []} done={() => void teams.reload()} />
      )}
      <CreateTeam agencies={agencies} done={teams.reload} />
    </>
  );
}
