/**
 * The admin console's overview (/admin): the city's reference data at a glance, read from the
 * admin API. Counts first (users, agencies, categories, teams), then one read-only table of each;
 * the console's other screens (its navigation) change them.
 */
import { useEffect, useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { type Key, t } from "../lib/i18n";
import { api } from "../lib/session";
import { useLanguage } from "../shell/ui";
import { ErrorText } from "../ui/room-table";
import { categoryCols, kindCol, nameCol, statusCol, teamCols, userCols } from "./columns";
import { loadError, roleName } from "./data";
import { AdminTable, type Column } from "./table";

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

interface Tile {
  id: string;
  title: Key;
  n: number;
  hint: string;
}

/** A titled, read-only table of one kind of reference data, the target of its count tile. */
function overview<T extends { id: number }>(
  tile: Tile,
  rows: T[],
  cols: Column<T>[],
  summary?: string,
) {
  return (
    <AdminTable
      key={tile.id}
      id={`admin-${tile.id}`}
      title={t(tile.title)}
      summary={summary ?? tile.hint}
      rows={rows}
      cols={cols}
    />
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
      .catch((err) => setError(loadError(err)));
  }, []);

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
          {overview(tiles[0], data.users, userCols(data.agencies), roles)}
          {overview(tiles[1], data.agencies, [
            nameCol,
            kindCol,
            ["admin.col.teams", (a) => data.teams.filter((x) => x.agency_id === a.id).length, true],
            statusCol,
          ])}
          {overview(tiles[2], data.categories, categoryCols(data.agencies))}
          {overview(tiles[3], data.teams, teamCols(data.agencies))}
        </>
      )}
    </section>
  );
}
