/** The dispatch filters: agency, category, status (open ones by default), priority, overdue. */
import { t } from "../lib/i18n";
import { agencyName, agencies as agencyRefs, categories, categoryName } from "../lib/reference";
import { priorityLabel, statusLabel } from "../shell/ui";
import { type FilterOption, FilterSelect } from "../ui/filter-select";

/** The open statuses, as one `status` parameter. */
export const OPEN = "new,returned,reopened,dispatched,accepted,en_route,on_scene";
export const PRIORITIES = ["P1", "P2", "P3"] as const;

export interface Filters {
  agency: string;
  category: string;
  status: string;
  priority: string;
  overdue: boolean;
}

export const NO_FILTERS: Filters = {
  agency: "",
  category: "",
  status: OPEN,
  priority: "",
  overdue: false,
};

/** The filters as parameters of `GET /api/cases.geojson`. */
export function filterQuery(f: Filters, q: URLSearchParams): URLSearchParams {
  if (f.status) q.set("status", f.status);
  if (f.agency) q.set("agency_id", f.agency);
  if (f.category) q.set("category_id", f.category);
  if (f.priority) q.set("priority", f.priority);
  if (f.overdue) q.set("overdue", "true");
  return q;
}

export function DispatchFilters(p: {
  filters: Filters;
  onChange: (patch: Partial<Filters>) => void;
}) {
  const { filters, onChange: set } = p;
  const all = t("dispatch.all");
  const select = (
    key: "agency" | "category" | "status" | "priority",
    label: string,
    options: FilterOption[],
    allWord?: string,
  ) => (
    <FilterSelect
      class="field"
      label={label}
      value={filters[key]}
      all={allWord}
      options={options}
      onChange={(v) => set({ [key]: v })}
    />
  );
  return (
    <form
      class="filters row wrap"
      aria-label={t("dispatch.filters")}
      onSubmit={(e) => e.preventDefault()}
    >
      {select(
        "agency",
        t("dispatch.agency"),
        agencyRefs().map((a) => ({ value: a.id, label: agencyName(a.id) })),
        all,
      )}
      {select(
        "category",
        t("dispatch.category"),
        categories().map((c) => ({ value: c.id, label: categoryName(c) })),
        all,
      )}
      {select("status", t("dispatch.status"), [
        { value: OPEN, label: t("dispatch.open") },
        { value: "", label: all },
        ...OPEN.split(",").map((st) => ({ value: st, label: statusLabel(st) })),
      ])}
      {select(
        "priority",
        t("dispatch.priority"),
        PRIORITIES.map((v) => ({ value: v, label: priorityLabel(v) })),
        all,
      )}
      <label class="check">
        <input
          type="checkbox"
          checked={filters.overdue}
          onChange={(e) => set({ overdue: (e.target as HTMLInputElement).checked })}
        />
        <span>{t("dispatch.overdue_only")}</span>
      </label>
    </form>
  );
}
