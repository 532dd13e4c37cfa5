/** The console's tables (a titled list of rows with actions) and its shown-once notices. */
import type { ComponentChildren } from "preact";
import { type Key, t } from "../lib/i18n";
import type { FieldSpec } from "../ui/checked-field";
import { FilterSelect } from "../ui/filter-select";
import { TextField } from "../ui/form-field";

/** One column: its heading, its cell text, and whether it holds numbers (aligned right). */
export type Column<T> = [Key, (row: T) => ComponentChildren, boolean?];

export function AdminTable<T extends { id: number }>(p: {
  id: string;
  title: string;
  rows: T[];
  cols: Column<T>[];
  actions?: (row: T) => ComponentChildren;
  /** A line under the heading; with it the section is a link target (`#${id}`). */
  summary?: string;
}) {
  const h = `${p.id}-h`;
  return (
    <section
      class="admin-section"
      id={p.summary === undefined ? undefined : p.id}
      aria-labelledby={h}
    >
      <h2 id={h}>{p.title}</h2>
      {p.summary !== undefined && <p class="muted">{p.summary}</p>}
      {/* A table wider than the screen scrolls inside its own region, reachable by keyboard. */}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: axe asks scrolling regions to take focus */}
      <section class="admin-scroll" tabIndex={0} aria-labelledby={h}>
        <table class="admin-table" data-testid={`${p.id}-table`}>
          <thead>
            <tr>
              {p.cols.map(([key, , num]) => (
                <th key={key} scope="col" class={num ? "num" : undefined}>
                  {t(key)}
                </th>
              ))}
              {p.actions && <th scope="col">{t("admin.col.actions")}</th>}
            </tr>
          </thead>
          <tbody>
            {p.rows.map((row) => (
              <tr key={row.id} data-id={row.id}>
                {p.cols.map(([key, cell, num]) => (
                  <td key={key} class={num ? "num" : undefined}>
                    {cell(row)}
                  </td>
                ))}
                {p.actions && <td class="admin-actions">{p.actions(row)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </section>
  );
}

/**
 * The filters above a list: a select per spec (`data-testid` `${form}-${name}`, its empty value
 * "all" unless the spec says otherwise), after any other field (`children`, a search).
 */
export function AdminFilters(p: {
  form: string;
  filters: FieldSpec[];
  values: Record<string, string>;
  onValue: (name: string, value: string) => void;
  children?: ComponentChildren;
}) {
  return (
    <div class="admin-filters">
      {p.children}
      {p.filters.map((f) => (
        <FilterSelect
          key={f.name}
          label={f.label}
          value={p.values[f.name]}
          onChange={(v) => p.onValue(f.name, v)}
          options={f.options ?? []}
          all={f.none ?? t("admin.all")}
          testid={`${p.form}-${f.name}`}
        />
      ))}
    </div>
  );
}

/** A search box over a list (names, usernames). */
export function SearchField(p: {
  id: string;
  label: string;
  value: string;
  onValue: (v: string) => void;
}) {
  return <TextField {...p} attrs={{ type: "search", autocomplete: "off" }} />;
}

/** A small button in a table row (edit, revoke, show). */
export function RowButton(p: {
  onClick: () => void;
  children: ComponentChildren;
  danger?: boolean;
  testid?: string;
  expanded?: boolean;
}) {
  return (
    <button
      type="button"
      class={`btn ${p.danger ? "btn-danger" : "btn-secondary"} btn-small`}
      data-testid={p.testid}
      aria-expanded={p.expanded}
      onClick={p.onClick}
    >
      {p.children}
    </button>
  );
}

/** A result to read now (a password, an API key): announced, and selectable to copy. */
export function OnceNotice({ text, testid }: { text: string; testid: string }) {
  if (!text) return null;
  return (
    <p class="banner admin-once" role="status" data-testid={testid}>
      {text}
    </p>
  );
}
