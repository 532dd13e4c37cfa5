/**
 * Users: a searchable list (name or username; role, agency and active filters, applied here),
 * a form to create one, and per user: deactivate or reactivate, and a new password shown once
 * (a new password and a deactivation both end the user's sessions, server-side).
 */
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { formatTime, t } from "../lib/i18n";
import { CheckedForm, CheckedSelect, CheckedText } from "../ui/checked-field";
import { FilterSelect } from "../ui/filter-select";
import { TextField } from "../ui/form-field";
import { useFormProblem } from "../ui/form-problem";
import { ErrorText } from "../ui/room-table";
import {
  activeWord,
  idOrNull,
  loadError,
  named,
  namedOptions,
  newPassword,
  ROLES,
  roleName,
  send,
  useList,
} from "./data";
import { AdminTable, OnceNotice } from "./table";

type User = Schema<"UserOut">;
type Agency = Schema<"AgencyOut">;

const FIELDS = ["username", "full_name", "role", "agency_id", "phone", "password"] as const;
const CODES = { already_exists: "username", agency_required: "agency_id", invalid_phone: "phone" };
const roleOptions = () => ROLES.map((r) => ({ value: r, label: roleName(r) }));

function CreateUser({ agencies, done }: { agencies: Agency[] | null; done: () => void }) {
  const blank = { username: "", full_name: "", role: "operator", agency_id: "", phone: "" };
  const [v, setV] = useState(blank);
  const [password, setPassword] = useState(newPassword);
  const [created, setCreated] = useState("");
  const { busy, problem, run } = useFormProblem(FIELDS, CODES);
  const set = (k: keyof typeof blank) => (value: string) => setV({ ...v, [k]: value });
  const field = (name: (typeof FIELDS)[number]) => ({
    form: "user-new",
    name,
    error: problem.fields[name],
  });

  const submit = () =>
    run(async () => {
      const body: Schema<"UserIn"> = {
        username: v.username.trim(),
        full_name: v.full_name.trim(),
        role: v.role as Schema<"UserIn">["role"],
        agency_id: idOrNull(v.agency_id),
        phone: v.phone.trim() || null,
        password,
        language: "id",
        active: true,
      };
      const made = await send<Schema<"UserCreated">>("/api/admin/users", "POST", body);
      setCreated(t("admin.user.created", { name: made.user.username, password }));
      setV(blank);
      setPassword(newPassword());
      done();
    });

  return (
    <>
      <OnceNotice text={created} testid="user-created" />
      <CheckedForm
        id="user-new"
        title={t("admin.user.new")}
        submit={t("admin.user.create")}
        busy={busy}
        general={problem.general}
        onSubmit={submit}
      >
        <CheckedText
          {...field("username")}
          label={t("admin.col.username")}
          value={v.username}
          onValue={set("username")}
        />
        <CheckedText
          {...field("full_name")}
          label={t("admin.col.name")}
          value={v.full_name}
          onValue={set("full_name")}
        />
        <CheckedSelect
          {...field("role")}
          label={t("admin.col.role")}
          value={v.role}
          onValue={set("role")}
          options={roleOptions()}
        />
        <CheckedSelect
          {...field("agency_id")}
          label={t("admin.col.agency")}
          value={v.agency_id}
          onValue={set("agency_id")}
          options={namedOptions(agencies)}
          none={t("admin.none")}
        />
        <CheckedText
          {...field("phone")}
          label={t("citizen.phone")}
          value={v.phone}
          onValue={set("phone")}
          type="tel"
        />
        <CheckedText
          {...field("password")}
          label={t("admin.user.password")}
          value={password}
          onValue={setPassword}
        />
      </CheckedForm>
    </>
  );
}

export function UsersScreen() {
  const users = useList<User>("/api/admin/users");
  const agencies = useList<Agency>("/api/admin/agencies");
  const [q, setQ] = useState("");
  const [role, setRole] = useState("");
  const [agency, setAgency] = useState("");
  const [active, setActive] = useState("");
  const [notice, setNotice] = useState("");
  const [error, setError] = useState("");

  const agencyName = (id: number | null) => {
    const a = agencies.rows?.find((x) => x.id === id);
    return a ? named(a) : "—";
  };
  const needle = q.trim().toLowerCase();
  const rows = (users.rows ?? []).filter(
    (u) =>
      (!needle || `${u.full_name} ${u.username}`.toLowerCase().includes(needle)) &&
      (!role || u.role === role) &&
      (!agency || String(u.agency_id) === agency) &&
      (!active || String(u.active) === active),
  );

  async function change(u: User, patch: Schema<"UserPatch">, message: string) {
    setError("");
    setNotice("");
    try {
      await send<User>(`/api/admin/users/${u.id}`, "PATCH", patch);
      setNotice(message);
      await users.reload();
    } catch (err) {
      setError(loadError(err));
    }
  }
  const reset = (u: User) => {
    const password = newPassword();
    void change(u, { password }, t("admin.user.reset_done", { name: u.username, password }));
  };
  const toggle = (u: User) =>
    change(
      u,
      { active: !u.active },
      t(u.active ? "admin.user.deactivated" : "admin.user.reactivated", { name: u.username }),
    );

  return (
    <>
      <ErrorText error={users.error || agencies.error || error} />
      <OnceNotice text={notice} testid="user-notice" />
      <div class="admin-filters">
        <TextField
          id="user-q"
          label={t("admin.search")}
          value={q}
          onValue={setQ}
          attrs={{ type: "search" }}
        />
        <FilterSelect
          label={t("admin.col.role")}
          value={role}
          onChange={setRole}
          options={roleOptions()}
          all={t("admin.all")}
          testid="user-role"
        />
        <FilterSelect
          label={t("admin.col.agency")}
          value={agency}
          onChange={setAgency}
          options={namedOptions(agencies.rows)}
          all={t("admin.all")}
          testid="user-agency"
        />
        <FilterSelect
          label={t("admin.col.status")}
          value={active}
          onChange={setActive}
          options={[
            { value: "true", label: activeWord(true) },
            { value: "false", label: activeWord(false) },
          ]}
          all={t("admin.all")}
          testid="user-active"
        />
      </div>
      <AdminTable
        id="users"
        title={t("admin.user.list", { n: rows.length })}
        rows={rows}
        cols={[
          ["admin.col.name", (u) => u.full_name],
          ["admin.col.username", (u) => u.username],
          ["admin.col.role", (u) => roleName(u.role)],
          ["admin.col.agency", (u) => agencyName(u.agency_id)],
          ["admin.col.status", (u) => activeWord(u.active)],
          [
            "admin.col.last_login",
            (u) =>
              u.last_login_at ? formatTime(u.last_login_at) : t("admin.user.never_signed_in"),
          ],
        ]}
        actions={(u) => (
          <>
            <button
              type="button"
              class="btn btn-secondary btn-small"
              onClick={() => toggle(u)}
              data-testid={`user-toggle-${u.username}`}
            >
              {t(u.active ? "admin.user.deactivate" : "admin.user.reactivate")}
            </button>
            <button
              type="button"
              class="btn btn-secondary btn-small"
              onClick={() => reset(u)}
              data-testid={`user-reset-${u.username}`}
            >
              {t("admin.user.reset")}
            </button>
          </>
        )}
      />
      <CreateUser agencies={agencies.rows} done={users.reload} />
    </>
  );
}
