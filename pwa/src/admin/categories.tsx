/**
 * Categories: the list (names, agency, priority, SLA targets, active), a form to add one, and the
 * same form to change one. Changes apply to new cases only (a case keeps the deadlines and the
 * routing it was given), and the screen says so.
 */
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { priorityLabel } from "../shell/ui";
import { ErrorText } from "../ui/room-table";
import { CategoryForm } from "./category-form";
import { activeWord, named, useList } from "./data";
import { AdminTable, OnceNotice } from "./table";

type Agency = Schema<"AgencyOut">;
type Category = Schema<"admin_CategoryOut">;

export function CategoriesScreen() {
  const categories = useList<Category>("/api/admin/categories");
  const agencies = useList<Agency>("/api/admin/agencies");
  const [editing, setEditing] = useState<Category | null>(null);
  const [notice, setNotice] = useState("");
  const agencyName = (id: number) => {
    const a = agencies.rows?.find((x) => x.id === id);
    return a ? named(a) : "—";
  };
  async function saved(c: Category) {
    setNotice(t("admin.category.saved", { name: named(c) }));
    setEditing(null);
    await categories.reload();
  }
  return (
    <>
      <p class="banner" data-testid="category-new-cases-only">
        {t("admin.category.new_cases_only")}
      </p>
      <ErrorText error={categories.error || agencies.error} />
      <OnceNotice text={notice} testid="category-notice" />
      {editing && (
        <CategoryForm key={editing.id} editing={editing} agencies={agencies.rows} done={saved} />
      )}
      <AdminTable
        id="categories"
        title={t("admin.categories")}
        rows={categories.rows ?? []}
        cols={[
          ["admin.col.name", named],
          ["admin.col.agency", (c) => agencyName(c.agency_id)],
          ["admin.col.priority", (c) => priorityLabel(c.priority)],
          [
            "admin.col.sla",
            (c) => `${c.sla_accept_min} / ${c.sla_arrive_min} / ${c.sla_resolve_min}`,
            true,
          ],
          ["admin.col.status", (c) => activeWord(c.active)],
        ]}
        actions={(c) => (
          <button
            type="button"
            class="btn btn-secondary btn-small"
            data-testid={`category-edit-${c.code}`}
            onClick={() => setEditing(c)}
          >
            {t("admin.edit")}
          </button>
        )}
      />
      <CategoryForm editing={null} agencies={agencies.rows} done={saved} />
    </>
  );
}
