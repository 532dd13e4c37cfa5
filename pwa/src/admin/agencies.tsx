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

function CreateAgency({ done }: { done: () => void }) {
  const blank = { code: "", name_id: "", name_en: "", kind: "opd", notes: "" };
  const [v, setV] = useState(blank);
  const { busy, problem, run } = useFormProblem(FIELDS, CODES);
  const set = (k: keyof typeof blank) => (value: string) => setV({ ...v, [k]: value });
  const field = (name: (typeof FIELDS)[number]) => ({
    form: "agency-new",
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
        active: true,
      };
      await send<Agency>("/api/admin/agencies", "POST", body);
      setV(blank);
      done();
    });
  return (
    <CheckedForm
      id="agency-new"
      title={t("admin.agency.new")}
      submit={t("admin.agency.create")}
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
      />
      <CreateAgency done={agencies.reload} />
      <TeamsPanel agencies={agencies.rows} />
    </>
  );
}
