/**
 * The dashboard's filters: the period (its kind, previous, next) and the agency, category and
 * district. Every choice goes into the address, so each view can be linked.
 */
import { t } from "../lib/i18n";
import { type FilterOption, FilterSelect } from "../ui/filter-select";
import { type PeriodKind, type PeriodOut, withFilter } from "./query";

export interface FilterLists {
  agencies: FilterOption[];
  categories: FilterOption[];
  areas: FilterOption[];
}

interface Props {
  params: URLSearchParams;
  kind: PeriodKind;
  period: PeriodOut | undefined;
  scoped: boolean;
  lists: FilterLists;
  go: (query: string) => void;
  onKind: (kind: PeriodKind) => void;
  onStep: (step: -1 | 1) => void;
}

function PeriodPicker({ kind, period, onKind, onStep }: Props) {
  return (
    <fieldset class="period-picker">
      <legend class="visually-hidden">{t("dash.period")}</legend>
      <FilterSelect
        label={t("dash.period_kind")}
        value={kind}
        testid="period-kind"
        onChange={(v) => onKind(v as PeriodKind)}
        options={[
          { value: "day", label: t("dash.kind_day") },
          { value: "week", label: t("dash.kind_week") },
          { value: "month", label: t("dash.kind_month") },
        ]}
      />
      <button
        type="button"
        class="btn btn-secondary"
        onClick={() => onStep(-1)}
        data-testid="period-prev"
      >
        <span aria-hidden="true">‹ </span>
        {t("dash.previous")}
      </button>
      <output class="period-label" data-testid="period-label" aria-live="polite">
        {period ? (period.from === period.to ? period.from : `${period.from} – ${period.to}`) : "…"}
      </output>
      <button
        type="button"
        class="btn btn-secondary"
        onClick={() => onStep(1)}
        data-testid="period-next"
      >
        {t("dash.next")}
        <span aria-hidden="true"> ›</span>
      </button>
    </fieldset>
  );
}

export function DashFilters(p: Props) {
  const { params, go, lists } = p;
  const filter = (name: string, label: string, testid: string, options: FilterOption[]) => (
    <FilterSelect
      label={label}
      value={params.get(name) ?? ""}
      testid={testid}
      all={t("dash.all")}
      options={options}
      onChange={(v) => go(withFilter(params, name, v))}
    />
  );
  return (
    <form class="dash-filters" onSubmit={(e) => e.preventDefault()} aria-label={t("dash.filters")}>
      <PeriodPicker {...p} />
      <div class="filter-row">
        {!p.scoped && filter("agency_id", t("dash.agency"), "filter-agency", lists.agencies)}
        {filter("category_id", t("dash.category"), "filter-category", lists.categories)}
        {filter("area_id", t("dash.district"), "filter-area", lists.areas)}
      </div>
    </form>
  );
}
