/**
 * Pieces the control-room tables and pages share: a header row of column names, a chart's data
 * table behind "show table", the error banner and the loading line.
 */
import type { ComponentChildren } from "preact";
import { t } from "../lib/i18n";

/** A table head: one row of column headings, in words. */
export function HeadRow({ cols }: { cols: readonly string[] }) {
  return (
    <thead>
      <tr>
        {cols.map((c) => (
          <th scope="col" key={c}>
            {c}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** A chart's figures as a table, folded away under "show table". */
export function ChartTable(p: {
  id: string;
  caption: string;
  cols: readonly string[];
  children: ComponentChildren;
}) {
  return (
    <details>
      <summary>{t("dash.show_table")}</summary>
      <div class="table-wrap">
        <table id={p.id}>
          <caption class="visually-hidden">{p.caption}</caption>
          <HeadRow cols={p.cols} />
          <tbody>{p.children}</tbody>
        </table>
      </div>
    </details>
  );
}

/** A failed load, said in words; nothing when there is no error. */
export function ErrorBanner({ error }: { error: string | null }) {
  return error ? (
    <p class="banner banner-conflict" role="alert">
      {error}
    </p>
  ) : null;
}

/** The loading line of a page (or nothing once it failed: the banner says why). */
export function Loading({ error }: { error?: string | null }) {
  return error ? null : <p class="loading">{t("app.loading")}</p>;
}

/** An action's error under its controls; nothing when there is none. */
export function ErrorText({ error }: { error: string }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}
