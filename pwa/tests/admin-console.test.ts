import { describe, expect, it } from "vitest";
import { geometryOf, middle } from "../src/admin/geojson";
import { ApiError, NetworkError } from "../src/lib/api";
import { setLanguage } from "../src/lib/i18n";
import { mayOpen, parseRoute } from "../src/lib/router";
import { formProblem } from "../src/ui/form-problem";

describe("admin console routes", () => {
  it("names each console screen and nothing else under /admin", () => {
    expect(parseRoute("/admin")).toEqual({ name: "admin" });
    expect(parseRoute("/admin/users")).toEqual({ name: "admin", section: "users" });
    expect(parseRoute("/admin/keys/")).toEqual({ name: "admin", section: "keys" });
    expect(parseRoute("/admin/secrets")).toEqual({ name: "unknown" });
  });

  it("opens the console to admins only", () => {
    const route = parseRoute("/admin/categories");
    expect(mayOpen("admin", route)).toBe(true);
    for (const role of ["operator", "dispatcher", "coordinator", "supervisor", "field_officer"])
      expect(mayOpen(role, route)).toBe(false);
  });
});

describe("formProblem", () => {
  const known = ["code", "name_id", "sla_accept_min"];

  it("puts a validation failure beside the fields the API names", () => {
    const err = new ApiError(400, "validation_failed", "Data yang dikirim tidak valid.", {
      errors: [{ key: "sla_accept_min", message: "Expected `int` >= 1", source: "body" }],
    });
    expect(formProblem(err, known)).toEqual({
      fields: { sla_accept_min: "Data yang dikirim tidak valid." },
      general: "",
    });
  });

  it("puts a rule's failure beside the field its code concerns", () => {
    const err = new ApiError(409, "already_exists", "Sudah ada.");
    expect(formProblem(err, known, { already_exists: "code" }).fields).toEqual({
      code: "Sudah ada.",
    });
  });

  it("says the rest once, for the whole form, in words", () => {
    setLanguage("en", false);
    expect(formProblem(new ApiError(409, "in_use", "In use."), known)).toEqual({
      fields: {},
      general: "In use.",
    });
    const unnamed = new ApiError(400, "validation_failed", "Bad.", { errors: [{ key: "other" }] });
    expect(formProblem(unnamed, known).general).toBe("Bad.");
    expect(formProblem(new NetworkError(), known).general).toBe("Cannot reach the server.");
    expect(formProblem(new Error("x"), known).general).toBe(
      "Something went wrong. Please try again.",
    );
    setLanguage("id", false);
  });
});

describe("GeoJSON upload", () => {
  const square = {
    type: "Polygon",
    coordinates: [
      [
        [1, 1],
        [3, 1],
        [3, 5],
        [1, 5],
        [1, 1],
      ],
    ],
  };

  it("takes a bare geometry, a Feature or a collection's first feature", () => {
    expect(geometryOf(JSON.stringify(square))).toEqual(square);
    expect(geometryOf(JSON.stringify({ type: "Feature", geometry: square }))).toEqual(square);
    const fc = { type: "FeatureCollection", features: [{ type: "Feature", geometry: square }] };
    expect(geometryOf(JSON.stringify(fc))).toEqual(square);
  });

  it("refuses what is not GeoJSON", () => {
    expect(geometryOf("not a map")).toBeNull();
    expect(geometryOf("[1, 2]")).toBeNull();
    expect(geometryOf(JSON.stringify({ type: "FeatureCollection", features: [] }))).toBeNull();
  });

  it("centres an area in the middle of its extent", () => {
    expect(middle(square)).toEqual({ lat: 3, lon: 2 });
  });
});
