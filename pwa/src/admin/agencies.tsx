/**
 * Agencies and teams: the agencies (names in both languages, short code, kind, contact notes),
 * a form to add one, and below them the teams (`./teams`).
 */
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { CheckedForm, choice, useCheckedForm } from "../ui/checked-field";
import { ErrorText } from "../ui/room-table";
import { kindCol, kindName, nameCol, statusCol } from "./columns";
import { named, send, useList } from "./data";
import { AdminTable, RowButton } from "./table";
import { TeamsPanel } from "./teams";

type Agency = Schema<"AgencyOut">;

const CODES = { already_exists: "code" };

const BLANK = { code: "", name_id: "", name_en: "", kind: "opd", notes: "" };

/** The agency form: a new agency, or (`editing`) a change to one. */
function AgencyForm({ editing, done }: { editing: Agency | null; done: () => void }) {
  const id = editing ? "agency-edit" : "agency-new";
  const form = useCheckedForm(id, BLANK, { codes: CODES, initial: { ...BLANK, ...editing }, save });
  const field = (name: keyof typeof BLANK) => ({ name, label: t(`admin.agency.${name}`) });
  async function save(v: typeof BLANK) {
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
    form.reset();
    done();
  }
  return (
    <CheckedForm
      form={form}
      title={editing ? t("admin.agency.edit", { name: named(editing) }) : t("admin.agency.new")}
      button={t(editing ? "admin.save" : "admin.agency.create")}
      fields={[
        field("code"),
        field("name_id"),
        field("name_en"),
        choice("kind", t("admin.agency.kind"), [
          { value: "opd", label: kindName("opd") },
          { value: "partner", label: kindName("partner") },
        ]),
        field("notes"),
      ]}
    />
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
          nameCol,
          ["admin.agency.code", (a) => a.code],
          kindCol,
          ["admin.agency.notes", (a) => a.notes || "—"],
          statusCol,
        ]}
        actions={(a) => (
          <RowButton testid={`agency-edit-${a.code}`} onClick={() => setEditing(a)}>
            {t("admin.edit")}
          </RowButton>
        )}
      />
      {editing && <AgencyForm key={editing.id} editing={editing} done={saved} />}
      <AgencyForm editing={null} done={saved} />
      <TeamsPanel agencies={agencies.rows} />
    </>
  );
}
