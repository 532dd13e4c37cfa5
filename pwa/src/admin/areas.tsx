/**
 * Areas and routing rules: the areas on a map and in a list, a form that uploads one area's
 * boundary from a GeoJSON file (a Polygon or MultiPolygon, bare or in a Feature or a one-feature
 * collection; PostGIS checks it and the API says what is wrong beside the file), and the routing
 * rules below (`./rules`), whose area the map draws.
 */
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { useStore } from "../lib/store";
import { app } from "../shell/state";
import { CheckedForm, choice, useCheckedForm } from "../ui/checked-field";
import { ErrorText } from "../ui/room-table";
import { AreaMap } from "./area-map";
import { send, useList } from "./data";
import { geometryOf, middle } from "./geojson";
import { RulesPanel } from "./rules";
import { AdminTable, RowButton } from "./table";

type Area = Schema<"AreaOut">;

const CODES = { already_exists: "name", invalid_geometry: "boundary" };

function UploadArea({ done }: { done: (a: Area) => void }) {
  const blank = { name: "", kind: "kecamatan", boundary: "" };
  const form = useCheckedForm("area-new", blank, { codes: CODES });
  const submit = () => {
    const boundary = geometryOf(form.values.boundary);
    if (!boundary) {
      form.setProblem({ fields: { boundary: t("admin.area.not_geojson") }, general: "" });
      return;
    }
    return form.run(async () => {
      const { name, kind } = form.values;
      const body = { name: name.trim(), kind, center: middle(boundary), boundary };
      const area = await send<Area>("/api/admin/areas", "POST", body);
      form.setValues({ ...form.values, name: "" });
      done(area);
    });
  };
  return (
    <CheckedForm
      form={form}
      title={t("admin.area.new")}
      button={t("admin.area.upload")}
      onSubmit={() => void submit()}
      fields={[
        { name: "name", label: t("admin.col.name") },
        choice("kind", t("admin.col.kind"), [
          { value: "kecamatan", label: t("admin.area.kecamatan") },
          { value: "kelurahan", label: t("admin.area.kelurahan") },
        ]),
        {
          name: "boundary",
          label: t("admin.area.file"),
          kind: "file",
          accept: ".geojson,.json,application/geo+json,application/json",
        },
      ]}
    />
  );
}

export function AreasScreen() {
  const { config } = useStore(app);
  const areas = useList<Area>("/api/admin/areas");
  const [chosen, setChosen] = useState<number | null>(null);
  const [point, setPoint] = useState<{ lat: number; lon: number } | null>(null);
  const center: [number, number] = config?.city?.center
    ? [config.city.center[0], config.city.center[1]]
    : [-3.99, 122.52];
  async function uploaded(a: Area) {
    await areas.reload();
    setChosen(a.id);
  }
  return (
    <>
      <ErrorText error={areas.error} />
      {config && (
        <AreaMap
          tiles={config.map}
          center={center}
          areas={areas.rows ?? []}
          chosen={chosen}
          point={point}
          onPoint={setPoint}
        />
      )}
      <AdminTable
        id="areas"
        title={t("admin.area.list")}
        rows={areas.rows ?? []}
        cols={[
          ["admin.col.name", (a) => a.name],
          [
            "admin.col.kind",
            (a) => t(a.kind === "kelurahan" ? "admin.area.kelurahan" : "admin.area.kecamatan"),
          ],
          [
            "admin.area.boundary",
            (a) => t(a.boundary ? "admin.area.drawn" : "admin.area.no_boundary"),
          ],
        ]}
        actions={(a) =>
          a.boundary ? (
            <RowButton onClick={() => setChosen(a.id)}>
              {t("admin.area.show", { name: a.name })}
            </RowButton>
          ) : null
        }
      />
      <UploadArea done={uploaded} />
      <RulesPanel areas={areas.rows ?? []} onArea={setChosen} point={point} />
    </>
  );
}
