/**
 * Neighbouring regions, for hand-offs (docs/handoff.md): each region's names, whether its
 * boundary is only approximate, and its control room's contacts; a form that adds one from a
 * GeoJSON file (PostGIS checks it and the API says what is wrong beside the file), and one that
 * changes a region's names and contacts. No contact is ever filled in for the admin.
 */
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { type Key, t } from "../lib/i18n";
import { CheckedForm, type FieldSpec, useCheckedForm } from "../ui/checked-field";
import { ErrorText } from "../ui/room-table";
import { nameCol } from "./columns";
import { named, send, useList } from "./data";
import { geometryOf } from "./geojson";
import { AdminTable, RowButton } from "./table";

type Neighbour = Schema<"NeighbourOut">;

const CODES = { already_exists: "name_id" };
const CONTACTS = ["contact_112", "contact_phone", "contact_email", "contact_radio"] as const;
const BLANK = {
  name_id: "",
  name_en: "",
  approximate: false,
  contact_112: "",
  contact_phone: "",
  contact_email: "",
  contact_radio: "",
  boundary: "",
};
type Values = typeof BLANK;

const field = (name: keyof Values, kind?: FieldSpec["kind"]): FieldSpec => ({
  name,
  label: t(`admin.neighbour.${name}` as Key),
  kind,
});

function body(v: Values) {
  const out: Record<string, unknown> = {
    name_id: v.name_id.trim(),
    name_en: v.name_en.trim(),
    approximate: v.approximate,
  };
  for (const c of CONTACTS) out[c] = v[c].trim();
  return out;
}

/** A new region (its boundary file required), or (`editing`) a change to one's names and contacts. */
function NeighbourForm({ editing, done }: { editing: Neighbour | null; done: () => void }) {
  const id = editing ? "neighbour-edit" : "neighbour-new";
  const initial = editing ? { ...BLANK, ...editing, boundary: "" } : BLANK;
  const form = useCheckedForm(id, BLANK, { codes: CODES, initial });
  const submit = () => {
    const boundary = form.values.boundary ? geometryOf(form.values.boundary) : null;
    if (!editing && !boundary) {
      form.setProblem({ fields: { boundary: t("admin.area.not_geojson") }, general: "" });
      return;
    }
    return form.run(async () => {
      const sent = { ...body(form.values), ...(boundary ? { boundary } : {}) };
      if (editing) await send<Neighbour>(`/api/admin/neighbours/${editing.id}`, "PATCH", sent);
      else await send<Neighbour>("/api/admin/neighbours", "POST", sent);
      form.reset();
      done();
    });
  };
  return (
    <CheckedForm
      form={form}
      title={
        editing ? t("admin.neighbour.edit", { name: named(editing) }) : t("admin.neighbour.new")
      }
      button={t(editing ? "admin.save" : "admin.neighbour.create")}
      onSubmit={() => void submit()}
      fields={[
        field("name_id"),
        field("name_en"),
        field("approximate", "checkbox"),
        field("contact_112", "tel"),
        field("contact_phone", "tel"),
        field("contact_email"),
        field("contact_radio"),
        {
          ...field("boundary", "file"),
          accept: ".geojson,.json,application/geo+json,application/json",
        },
      ]}
    />
  );
}

export function NeighboursScreen() {
  const neighbours = useList<Neighbour>("/api/admin/neighbours");
  const [editing, setEditing] = useState<Neighbour | null>(null);
  const saved = async () => {
    setEditing(null);
    await neighbours.reload();
  };
  return (
    <>
      <p class="muted">{t("admin.neighbour.hint")}</p>
      <ErrorText error={neighbours.error} />
      <AdminTable
        id="neighbours"
        title={t("admin.neighbours")}
        rows={neighbours.rows ?? []}
        cols={[
          nameCol,
          [
            "admin.neighbour.boundary_col",
            (n) => t(n.approximate ? "admin.neighbour.approximate_yes" : "admin.neighbour.exact"),
          ],
          ["admin.neighbour.contact_112", (n) => n.contact_112 || t("admin.neighbour.none")],
        ]}
        actions={(n) => (
          <RowButton testid={`neighbour-edit-${n.id}`} onClick={() => setEditing(n)}>
            {t("admin.edit")}
          </RowButton>
        )}
      />
      {editing && <NeighbourForm key={editing.id} editing={editing} done={saved} />}
      <NeighbourForm editing={null} done={saved} />
    </>
  );
}
