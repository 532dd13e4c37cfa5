/** The console's tables (a titled list of rows with actions) and its shown-once notices. */
import type { ComponentChildren } from "preact";
import { type Key, t } from "../lib/i18n";

/** One column: its heading, its cell text, and whether it holds numbers (aligned right). */
export type Column<T> = [Key, (row: T) => ComponentChildren, boolean?];

export function AdminTable<T extends { id: number }>(p: {
  id: string;
  title: string;
  rows: T[];
  cols: Column<T>[];
  actions?: (row: T) => ComponentChildren;
}) {
  const h = `${p.id}-h`;
  return (
    <section class="admin-section" aria-labelledby={h}>
      <h2 id={h}>{p.title}</h2>
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

/** A result to read now (a password, an API key): announced, and selectable to copy. */
export function OnceNotice({ text, testid }: { text: string; testid: string }) {
  if (!text) return null;
  return (
    <p class="banner admin-once" role="status" data-testid={testid}>
      {text}
    </p>
  );
}
