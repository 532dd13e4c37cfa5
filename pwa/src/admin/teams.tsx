/**
 * Teams: name, agency, duty state (switched here) and members. Choosing a team opens its detail:
 * its last reported position on a small map (`./team-position`), and its members: remove one, or
 * search the agency's staff by name and add them (the API keeps a team's members in its own
 * agency and answers in words when they are not).
 */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { CheckedForm, choice, useCheckedForm } from "../ui/checked-field";
import { ErrorText } from "../ui/room-table";
import { teamCols } from "./columns";
import { idOrNull, namedOptions, roleName, send, useAction, useList } from "./data";
import { AdminTable, RowButton, SearchField } from "./table";
import { TeamPosition } from "./team-position";

type Agency = Schema<"AgencyOut">;
type Team = Schema<"TeamOut">;
type User = Schema<"UserOut">;

const CODES = { already_exists: "name" };

function CreateTeam({ agencies, done }: { agencies: Agency[] | null; done: () => void }) {
  const form = useCheckedForm(
    "team-new",
    { name: "", agency_id: "" },
    {
      codes: CODES,
      save: async (v) => {
        const body = { name: v.name.trim(), agency_id: idOrNull(v.agency_id), on_duty: false };
        await send<Team>("/api/admin/teams", "POST", body);
        form.setValues({ ...v, name: "" });
        done();
      },
    },
  );
  return (
    <CheckedForm
      form={form}
      title={t("admin.team.new")}
      button={t("admin.team.create")}
      fields={[
        { name: "name", label: t("admin.col.name") },
        choice("agency_id", t("admin.col.agency"), namedOptions(agencies), t("admin.choose")),
      ]}
    />
  );
}

function Members({ team, users, done }: { team: Team; users: User[]; done: () => void }) {
  const [q, setQ] = useState("");
  const action = useAction(async () => done());
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
  const put = (ids: number[]) =>
    action.act(() => send<Team>(`/api/admin/teams/${team.id}/members`, "PUT", { user_ids: ids }));
  /** People in a list, each with a button (remove from the team, add to it). */
  const people = (rows: User[], button: (u: User) => ComponentChildren) =>
    rows.map((u) => (
      <li key={u.id}>
        {`${u.full_name} (${roleName(u.role)})`} {button(u)}
      </li>
    ));
  return (
    <section class="checked-form" data-testid="team-members" aria-labelledby="team-members-h">
      <h3 id="team-members-h">{t("admin.team.members_of", { name: team.name })}</h3>
      <TeamPosition team={team} />
      <ErrorText error={action.error} />
      <ul class="admin-people">
        {people(members, (u) => (
          <RowButton onClick={() => put(team.member_ids.filter((id) => id !== u.id))}>
            {t("admin.team.remove", { name: u.full_name })}
          </RowButton>
        ))}
      </ul>
      <SearchField id="team-member-q" label={t("admin.team.search")} value={q} onValue={setQ} />
      <ul class="admin-people" data-testid="team-member-found">
        {people(found, (u) => (
          <RowButton onClick={() => put([...team.member_ids, u.id])}>
            {t("admin.team.add", { name: u.full_name })}
          </RowButton>
        ))}
      </ul>
    </section>
  );
}

export function TeamsPanel({ agencies }: { agencies: Agency[] | null }) {
  const teams = useList<Team>("/api/admin/teams");
  const users = useList<User>("/api/admin/users");
  const [open, setOpen] = useState<number | null>(null);
  const action = useAction(teams.reload);
  const duty = (team: Team) =>
    action.act(() =>
      send<Team>(`/api/admin/teams/${team.id}`, "PATCH", { on_duty: !team.on_duty }),
    );
  const chosen = teams.rows?.find((x) => x.id === open);
  return (
    <>
      <ErrorText error={teams.error || users.error || action.error} />
      <AdminTable
        id="teams"
        title={t("admin.teams")}
        rows={teams.rows ?? []}
        cols={teamCols(agencies)}
        actions={(x) => (
          <>
            <RowButton onClick={() => duty(x)}>
              {t(x.on_duty ? "admin.team.off" : "admin.team.on")}
            </RowButton>
            <RowButton
              expanded={open === x.id}
              testid={`team-members-${x.name}`}
              onClick={() => setOpen(open === x.id ? null : x.id)}
            >
              {t("admin.team.members")}
            </RowButton>
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
