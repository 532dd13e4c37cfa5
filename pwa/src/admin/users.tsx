/**
 * Users: a searchable list (name or username, debounced; role, agency and active filters, all
 * applied by the API's own filters, and kept in the address so a reload keeps them),
 * a form to create one, and per user: deactivate or reactivate, and a new password shown once
 * (a new password and a deactivation both end the user's sessions, server-side).
 */
import { useEffect, useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { formatTime, t } from "../lib/i18n";
import { CheckedForm, choice, type FieldSpec, useCheckedForm } from "../ui/checked-field";
import { ErrorText } from "../ui/room-table";
import { userCols } from "./columns";
import {
  activeWord,
  idOrNull,
  namedOptions,
  newPassword,
  ROLES,
  roleName,
  send,
  useAction,
  useList,
} from "./data";
import { AdminFilters, AdminTable, OnceNotice, RowButton, SearchField } from "./table";

type User = Schema<"UserOut">;
type Agency = Schema<"AgencyOut">;

const CODES = { already_exists: "username", agency_required: "agency_id", invalid_phone: "phone" };
const activeOptions = () => [
  { value: "true", label: activeWord(true) },
  { value: "false", label: activeWord(false) },
];
const roleOptions = () => ROLES.map((r) => ({ value: r, label: roleName(r) }));
const blank = () => ({
  username: "",
  full_name: "",
  role: "operator",
  agency_id: "",
  phone: "",
  password: newPassword(),
});

function CreateUser({ agencies, done }: { agencies: Agency[] | null; done: () => void }) {
  const [created, setCreated] = useState("");
  const form = useCheckedForm("user-new", blank(), { codes: CODES, save });

  async function save(v: ReturnType<typeof blank>) {
    const body: Schema<"UserIn"> = {
      username: v.username.trim(),
      full_name: v.full_name.trim(),
      role: v.role as Schema<"UserIn">["role"],
      agency_id: idOrNull(v.agency_id),
      phone: v.phone.trim() || null,
      password: v.password,
      language: "id",
      active: true,
    };
    const made = await send<Schema<"UserCreated">>("/api/admin/users", "POST", body);
    setCreated(t("admin.user.created", { name: made.user.username, password: v.password }));
    form.setValues(blank());
    done();
  }

  const fields: FieldSpec[] = [
    { name: "username", label: t("admin.col.username") },
    { name: "full_name", label: t("admin.col.name") },
    choice("role", t("admin.col.role"), roleOptions()),
    choice("agency_id", t("admin.col.agency"), namedOptions(agencies), t("admin.none")),
    { name: "phone", label: t("citizen.phone"), kind: "tel" },
    { name: "password", label: t("admin.user.password") },
  ];
  return (
    <>
      <OnceNotice text={created} testid="user-created" />
      <CheckedForm
        form={form}
        title={t("admin.user.new")}
        button={t("admin.user.create")}
        fields={fields}
      />
    </>
  );
}

/** The list's filters, by the API's own query names, as the address keeps them. */
type Filters = { role: string; agency_id: string; active: string; q: string };

function fromAddress(): Filters {
  const p = new URLSearchParams(location.search);
  const get = (name: keyof Filters) => p.get(name) ?? "";
  return { role: get("role"), agency_id: get("agency_id"), active: get("active"), q: get("q") };
}

/** The query of the filters that are set ("" when none is). */
function queryOf(f: Filters): string {
  const p = new URLSearchParams();
  for (const [name, value] of Object.entries(f)) if (value.trim()) p.set(name, value.trim());
  const qs = p.toString();
  return qs ? `?${qs}` : "";
}

/** The search sent once typing pauses (300 ms), not at every key. */
function useSettled(value: string): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), 300);
    return () => clearTimeout(timer);
  }, [value]);
  return settled;
}

export function UsersScreen() {
  const [f, setF] = useState(fromAddress);
  const q = useSettled(f.q);
  const query = queryOf({ ...f, q });
  // The address keeps the filters (a reload or a shared link shows the same list); replaced in
  // place, so the browser's history is not a trail of filter changes.
  useEffect(() => {
    if (location.search !== query) history.replaceState(null, "", location.pathname + query);
  }, [query]);
  const users = useList<User>(`/api/admin/users${query}`);
  const agencies = useList<Agency>("/api/admin/agencies");
  const [notice, setNotice] = useState("");
  const action = useAction(users.reload);
  const rows = users.rows ?? [];

  async function change(u: User, patch: Schema<"UserPatch">, message: string) {
    setNotice("");
    const done = await action.act(() => send<User>(`/api/admin/users/${u.id}`, "PATCH", patch));
    if (done) setNotice(message);
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
      <ErrorText error={users.error || agencies.error || action.error} />
      <OnceNotice text={notice} testid="user-notice" />
      <AdminFilters
        form="user"
        values={f}
        onValue={(name, value) => setF({ ...f, [name]: value })}
        filters={[
          { name: "role", label: t("admin.col.role"), options: roleOptions() },
          { name: "agency_id", label: t("admin.col.agency"), options: namedOptions(agencies.rows) },
          { name: "active", label: t("admin.col.status"), options: activeOptions() },
        ]}
      >
        <SearchField
          id="user-q"
          label={t("admin.search")}
          value={f.q}
          onValue={(v) => setF({ ...f, q: v })}
        />
      </AdminFilters>
      <AdminTable
        id="users"
        title={t("admin.user.list", { n: rows.length })}
        rows={rows}
        cols={[
          ...userCols(agencies.rows),
          [
            "admin.col.last_login",
            (u) =>
              u.last_login_at ? formatTime(u.last_login_at) : t("admin.user.never_signed_in"),
          ],
        ]}
        actions={(u) => (
          <>
            <RowButton onClick={() => toggle(u)} testid={`user-toggle-${u.username}`}>
              {t(u.active ? "admin.user.deactivate" : "admin.user.reactivate")}
            </RowButton>
            <RowButton onClick={() => reset(u)} testid={`user-reset-${u.username}`}>
              {t("admin.user.reset")}
            </RowButton>
          </>
        )}
      />
      <CreateUser agencies={agencies.rows} done={users.reload} />
    </>
  );
}
