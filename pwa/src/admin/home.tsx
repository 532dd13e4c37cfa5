/**
 * The admin's home (/admin): the city's reference data at a glance, read from the admin API.
 * Counts first (users, agencies, categories, teams), then one read-only table of each. Editing
 * comes with the full admin console; nothing here sends a person elsewhere to do their work.
 */
import "./admin.css";
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, NetworkError } from "../lib/api";
import { getLanguage, hasKey, type Key, t } from "../lib/i18n";
import { api } from "../lib/session";
import { PageTitle, priorityLabel, useLanguage } from "../shell/ui";

interface AdminUser {
  id: number;
  username: string;
  full_name: string;
  role: string;
  agency_id: number | null;
  active: boolean;
}

interface AdminAgency {
  id: number;
  name_id: string;
  name_en: string;
  kind: string;
  active: boolean;
}

interface AdminCategory {
  id: number;
  name_id: string;
  name_en: string;
  agency_id: number;
  priority: string;
  sla_accept_min: number;
  sla_arrive_min: number;
  sla_resolve_min: number;
  active: boolean;
}

interface AdminTeam {
  id: number;
  agency_id: number;
  name: string;
  on_duty: boolean;
  member_ids: number[];
}

interface Overview {
  users: AdminUser[];
  agencies: AdminAgency[];
  categories: AdminCategory[];
  teams: AdminTeam[];
}

async function loadOverview(): Promise<Overview> {
  const [users, agencies, categories, teams] = await Promise.all([
    api.request<AdminUser[]>("/api/admin/users"),
    api.request<AdminAgency[]>("/api/admin/agencies"),
    api.request<AdminCategory[]>("/api/admin/categories"),
    api.request<AdminTeam[]>("/api/admin/teams"),
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

function Section(props: { id: string; title: Key; summary: string; children: ComponentChildren }) {
  return (
    <section class="admin-section" id={props.id} aria-labelledby={`${props.id}-h`}>
      <h2 id={`${props.id}-h`}>{t(props.title)}</h2>
      <p class="muted">{props.summary}</p>
      {/* A table wider than a phone scrolls inside its own region, reachable by keyboard. */}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: axe asks scrolling regions to take focus */}
      <section class="admin-scroll" tabIndex={0} aria-labelledby={`${props.id}-h`}>
        {props.children}
      </section>
    </section>
  );
}

function Head({ cols }: { cols: [Key, boolean?][] }) {
  return (
    <thead>
      <tr>
        {cols.map(([key, num]) => (
          <th key={key} scope="col" class={num ? "num" : undefined}>
            {t(key)}
          </th>
        ))}
      </tr>
    </thead>
  );
}

function summary(active: number, total: number): string {
  return t("admin.summary", { active, total });
}

export function AdminHome() {
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

  const tiles: { id: string; title: Key; n: number; hint: string }[] = data
    ? [
        {
          id: "users",
          title: "admin.users",
          n: data.users.length,
          hint: summary(data.users.filter((u) => u.active).length, data.users.length),
        },
        {
          id: "agencies",
          title: "admin.agencies",
          n: data.agencies.length,
          hint: summary(data.agencies.filter((a) => a.active).length, data.agencies.length),
        },
        {
          id: "categories",
          title: "admin.categories",
          n: data.categories.length,
          hint: summary(data.categories.filter((c) => c.active).length, data.categories.length),
        },
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
    <section class="screen admin-home" data-testid="admin-home">
      <PageTitle>{t("admin.title")}</PageTitle>
      <p class="muted">{t("admin.intro")}</p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
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
          <Section id="admin-users" title="admin.users" summary={roles}>
            <table class="admin-table">
              <Head
                cols={[
                  ["admin.col.name"],
                  ["admin.col.username"],
                  ["admin.col.role"],
                  ["admin.col.agency"],
                  ["admin.col.status"],
                ]}
              />
              <tbody>
                {data.users.map((u) => (
                  <tr key={u.id}>
                    <td>{u.full_name}</td>
                    <td>{u.username}</td>
                    <td>{roleName(u.role)}</td>
                    <td>{agencyName(u.agency_id)}</td>
                    <td>{activeWord(u.active)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          <Section id="admin-agencies" title="admin.agencies" summary={tiles[1].hint}>
            <table class="admin-table">
              <Head
                cols={[
                  ["admin.col.name"],
                  ["admin.col.kind"],
                  ["admin.col.teams", true],
                  ["admin.col.status"],
                ]}
              />
              <tbody>
                {data.agencies.map((a) => (
                  <tr key={a.id}>
                    <td>{named(a)}</td>
                    <td>{a.kind === "partner" ? t("admin.kind.partner") : t("admin.kind.opd")}</td>
                    <td class="num">{data.teams.filter((x) => x.agency_id === a.id).length}</td>
                    <td>{activeWord(a.active)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          <Section id="admin-categories" title="admin.categories" summary={tiles[2].hint}>
            <table class="admin-table">
              <Head
                cols={[
                  ["admin.col.name"],
                  ["admin.col.agency"],
                  ["admin.col.priority"],
                  ["admin.col.sla", true],
                  ["admin.col.status"],
                ]}
              />
              <tbody>
                {data.categories.map((c) => (
                  <tr key={c.id}>
                    <td>{named(c)}</td>
                    <td>{agencyName(c.agency_id)}</td>
                    <td>{priorityLabel(c.priority)}</td>
                    <td class="num">{`${c.sla_accept_min} / ${c.sla_arrive_min} / ${c.sla_resolve_min}`}</td>
                    <td>{activeWord(c.active)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          <Section id="admin-teams" title="admin.teams" summary={tiles[3].hint}>
            <table class="admin-table">
              <Head
                cols={[
                  ["admin.col.name"],
                  ["admin.col.agency"],
                  ["admin.col.members", true],
                  ["admin.col.duty"],
                ]}
              />
              <tbody>
                {data.teams.map((x) => (
                  <tr key={x.id}>
                    <td>{x.name}</td>
                    <td>{agencyName(x.agency_id)}</td>
                    <td class="num">{x.member_ids.length}</td>
                    <td>{x.on_duty ? t("teams.on_duty") : t("teams.off_duty")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
        </>
      )}
    </section>
  );
}
