/**
 * Agencies and teams: the agencies (names in both languages, short code, kind, contact notes),
 * a form to add one, and below them the teams (`./teams`).
 */
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { CheckedForm, CheckedSelect, CheckedText } from "../ui/checked-field";
import { useFormProblem } from "../ui/form-problem";
import { ErrorText } from "../ui/room-table";
import { activeWord, named, send, useList } from "./data";
import { AdminTable } from "./table";
import { TeamsPanel } from "./teams";

type Agency = Schema<"AgencyOut">;

const FIELDS = ["code", "name_id", "name_en", "kind", "notes"] as const;
const CODES = { already_exists: "code" };
const kindName = (kind: string) => t(kind === "partner" ? "admin.kind.partner" : "admin.kind.opd");

const BLANK = { code: "", name_id: "", name_en: "", kind: "opd", notes: "" };

/** The agency form: a new agency, or (`editing`) a change to one. */
function AgencyForm({ editing, done }: { editing: Agency | null; done: () => void }) {
  const [v, setV] = useState(editing ? { ...BLANK, ...editing } : BLANK);
  const form = editing ? "agency-edit" : "agency-new";
  const { busy, problem, run } = useFormProblem(FIELDS, CODES);
  const set = (k: keyof typeof BLANK) => (value: string) => setV({ ...v, [k]: value });
  const field = (name: (typeof FIELDS)[number]) => ({
    form,
    name,
    label: t(`admin.agency.${name}`),
    value: v[name],
    onValue: set(name),
    error: problem.fields[name],
  });
  const submit = () =>
    run(async () => {
      const body: Schema<"AgencyIn"> = {
        code: v.code.trim().toUpperCase(),
        name_id: v.name_id.trim(),
        name_en: v.name_en.trim(),
        kind: v.kind as Schema<"AgencyIn">["kind"],
        notes: v.notes.trim(),
        active: editing?.active ?? true,
      };
      if (editing) await send<Agency>(`/api/admin/agencies/${editing.id}`, "PATCH", body);
      else await send<Agency>("/api/admin/agencies", "POST", body);
      setV(BLANK);
      done();
    });
  return (
    <CheckedForm
      id={form}
      title={editing ? t("admin.agency.edit", { name: named(editing) }) : t("admin.agency.new")}
      submit={t(editing ? "admin.save" : "admin.agency.create")}
      busy={busy}
      general={problem.general}
      onSubmit={submit}
    >
      <CheckedText {...field("code")} />
      <CheckedText {...field("name_id")} />
      <CheckedText {...field("name_en")} />
      <CheckedSelect
        {...field("kind")}
        options={[
          { value: "opd", label: kindName("opd") },
          { value: "partner", label: kindName("partner") },
        ]}
      />
      <CheckedText {...field("notes")} />
    </CheckedForm>
  );
}

export function AgenciesScreen() {
  const agencies = useList<Agency>("/api/admin/agencies");
  const [editing, setEditing] = useState<Agency | null>(null);
  const saved = async () => {
    setEditing(null);
    await agencies.reload();
  };
  return (
    <>
      <ErrorText error={agencies.error} />
      <AdminTable
        id="agencies"
        title={t("admin.agencies")}
        rows={agencies.rows ?? []}
        cols={[
          ["admin.col.name", named],
          ["admin.agency.code", (a) => a.code],
          ["admin.col.kind", (a) => kindName(a.kind)],
          ["admin.agency.notes", (a) => a.notes || "—"],
          ["admin.col.status", (a) => activeWord(a.active)],
        ]}
        actions={(a) => (
          <button
            type="button"
            class="btn btn-secondary btn-small"
            data-testid={`agency-edit-${a.code}`}
            onClick={() => setEditing(a)}
          >
            {t("admin.edit")}
          </button>
        )}
      />
      {editing && <AgencyForm key={editing.id} editing={editing} done={saved} />}
      <AgencyForm editing={null} done={saved} />
      <TeamsPanel agencies={agencies.rows} />
    </>
  );
}
