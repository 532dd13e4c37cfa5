/**
 * The admin console's overview (/admin): the city's reference data at a glance, read from the
 * admin API. Counts first (users, agencies, categories, teams), then one read-only table of each;
 * the console's other screens (its navigation) change them.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError, NetworkError } from "../lib/api";
import type { Schema } from "../lib/api-types";
import { getLanguage, hasKey, type Key, t } from "../lib/i18n";
import { api } from "../lib/session";
import { priorityLabel, useLanguage } from "../shell/ui";
import { ErrorText } from "../ui/room-table";

interface Overview {
  users: Schema<"UserOut">[];
  agencies: Schema<"AgencyOut">[];
  categories: Schema<"admin_CategoryOut">[];
  teams: Schema<"TeamOut">[];
}

async function loadOverview(): Promise<Overview> {
  const [users, agencies, categories, teams] = await Promise.all([
    api.request<Overview["users"]>("/api/admin/users"),
    api.request<Overview["agencies"]>("/api/admin/agencies"),
    api.request<Overview["categories"]>("/api/admin/categories"),
    api.request<Overview["teams"]>("/api/admin/teams"),
  ]);
  return { users, agencies, categories, teams };
}

const named = (x: { name_id: string; name_en: string }) =>
  getLanguage() === "en" ? x.name_en : x.name_id;
const roleName = (role: string) => {
  const key = `role.${role}`;
  return hasKey(key) ? t(key) : "";
};
const activeWord = (active: boolean) => (active ? t("admin.active") : t("admin.inactive"));

interface Tile {
  id: string;
  title: Key;
  n: number;
  hint: string;
}

/** One column: its heading, whether it holds numbers (aligned right), and its cell text. */
type Column<T> = [Key, (row: T) => string | number, boolean?];

// Columns several tables share.
const nameCol: Column<{ name_id: string; name_en: string }> = ["admin.col.name", named];
const statusCol: Column<{ active: boolean }> = ["admin.col.status", (r) => activeWord(r.active)];

/** A titled, read-only table of one kind of reference data. */
function Overview<T extends { id: number }>(props: {
  /** The count tile that links here: its name, heading and (unless `summary`) its hint. */
  tile: Tile;
  summary?: string;
  rows: T[];
  cols: Column<T>[];
}) {
  const id = `admin-${props.tile.id}`;
  const h = `${id}-h`;
  return (
    <section class="admin-section" id={id} aria-labelledby={h}>
      <h2 id={h}>{t(props.tile.title)}</h2>
      <p class="muted">{props.summary ?? props.tile.hint}</p>
      {/* A table wider than a phone scrolls inside its own region, reachable by keyboard. */}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: axe asks scrolling regions to take focus */}
      <section class="admin-scroll" tabIndex={0} aria-labelledby={h}>
        <table class="admin-table">
          <thead>
            <tr>
              {props.cols.map(([key, , num]) => (
                <th key={key} scope="col" class={num ? "num" : undefined}>
                  {t(key)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((row) => (
              <tr key={row.id}>
                {props.cols.map(([key, cell, num]) => (
                  <td key={key} class={num ? "num" : undefined}>
                    {cell(row)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </section>
  );
}

/** A count tile of one kind of reference data; its hint says how many of them are active. */
function tile(id: string, title: Key, rows: { active: boolean }[]): Tile {
  const active = rows.filter((r) => r.active).length;
  return { id, title, n: rows.length, hint: t("admin.summary", { active, total: rows.length }) };
}

export function AdminOverview() {
  useLanguage();
  const [data, setData] = useState<Overview | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    loadOverview()
      .then(setData)
      .catch((err) => {
        if (err instanceof NetworkError) setError(t("error.network"));
        else setError(err instanceof ApiError && err.detail ? err.detail : t("error.unknown"));
      });
  }, []);

  const agencyName = (id: number | null) => {
    const a = id === null ? undefined : data?.agencies.find((x) => x.id === id);
    return a ? named(a) : "—";
  };
  const agencyCol: Column<{ agency_id: number | null }> = [
    "admin.col.agency",
    (r) => agencyName(r.agency_id),
  ];

  const tiles: Tile[] = data
    ? [
        tile("users", "admin.users", data.users),
        tile("agencies", "admin.agencies", data.agencies),
        tile("categories", "admin.categories", data.categories),
        {
          id: "teams",
          title: "admin.teams",
          n: data.teams.length,
          hint: t("admin.teams_on_duty", { n: data.teams.filter((x) => x.on_duty).length }),
        },
      ]
    : [];

  const roles = data
    ? [...new Set(data.users.map((u) => u.role))]
        .map((r) => `${roleName(r)}: ${data.users.filter((u) => u.role === r).length}`)
        .join(" · ")
    : "";

  return (
    <section class="admin-home" data-testid="admin-home">
      <p class="muted">{t("admin.intro")}</p>
      <ErrorText error={error} />
      {!data && !error && (
        <p class="loading" role="status">
          {t("app.loading")}
        </p>
      )}
      {data && (
        <>
          <ul class="admin-tiles" data-testid="admin-counts">
            {tiles.map((x) => (
              <li key={x.id}>
                <a href={`#admin-${x.id}`} data-testid={`admin-count-${x.id}`} data-count={x.n}>
                  <strong>{x.n}</strong>
                  <span>{t(x.title)}</span>
                  <span class="muted small">{x.hint}</span>
                </a>
              </li>
            ))}
          </ul>
          <Overview
            tile={tiles[0]}
            summary={roles}
            rows={data.users}
            cols={[
              ["admin.col.name", (u) => u.full_name],
              ["admin.col.username", (u) => u.username],
              ["admin.col.role", (u) => roleName(u.role)],
              agencyCol,
              statusCol,
            ]}
          />
          <Overview
            tile={tiles[1]}
            rows={data.agencies}
            cols={[
              nameCol,
              [
                "admin.col.kind",
                (a) => t(a.kind === "partner" ? "admin.kind.partner" : "admin.kind.opd"),
              ],
              [
                "admin.col.teams",
                (a) => data.teams.filter((x) => x.agency_id === a.id).length,
                true,
              ],
              statusCol,
            ]}
          />
          <Overview
            tile={tiles[2]}
            rows={data.categories}
            cols={[
              nameCol,
              agencyCol,
              ["admin.col.priority", (c) => priorityLabel(c.priority)],
              [
                "admin.col.sla",
                (c) => `${c.sla_accept_min} / ${c.sla_arrive_min} / ${c.sla_resolve_min}`,
                true,
              ],
              statusCol,
            ]}
          />
          <Overview
            tile={tiles[3]}
            rows={data.teams}
            cols={[
              ["admin.col.name", (x) => x.name],
              agencyCol,
              ["admin.col.members", (x) => x.member_ids.length, true],
              ["admin.col.duty", (x) => t(x.on_duty ? "teams.on_duty" : "teams.off_duty")],
            ]}
          />
        </>
      )}
    </section>
  );
}
