/**
 * Categories: the list (names, agency, priority, SLA targets, active), a form to add one, and the
 * same form to change one. Changes apply to new cases only (a case keeps the deadlines and the
 * routing it was given), and the screen says so.
 */
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { ErrorText } from "../ui/room-table";
import { CategoryForm } from "./category-form";
import { categoryCols } from "./columns";
import { named, useList } from "./data";
import { AdminTable, OnceNotice, RowButton } from "./table";

type Agency = Schema<"AgencyOut">;
type Category = Schema<"admin_CategoryOut">;

export function CategoriesScreen() {
  const categories = useList<Category>("/api/admin/categories");
  const agencies = useList<Agency>("/api/admin/agencies");
  const [editing, setEditing] = useState<Category | null>(null);
  const [notice, setNotice] = useState("");
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
        cols={categoryCols(agencies.rows)}
        actions={(c) => (
          <RowButton testid={`category-edit-${c.code}`} onClick={() => setEditing(c)}>
            {t("admin.edit")}
          </RowButton>
        )}
      />
      <CategoryForm editing={null} agencies={agencies.rows} done={saved} />
    </>
  );
}
