import { describe, expect, it } from "vitest";
import { fuzzySearch, osaDistance } from "../src/operator/fuzzy";

const cats = [
  { id: 1, code: "POHON_TUMBANG", name_id: "Pohon tumbang", name_en: "Fallen tree" },
  { id: 2, code: "BANJIR", name_id: "Banjir / genangan", name_en: "Flooding" },
  { id: 3, code: "KEBAKARAN", name_id: "Kebakaran", name_en: "Fire" },
  { id: 4, code: "SAMPAH", name_id: "Sampah menumpuk", name_en: "Uncollected rubbish" },
];

describe("category fuzzy search", () => {
  it("counts an adjacent swap as one edit", () => {
    expect(osaDistance("tumbnag", "tumbang")).toBe(1);
    expect(osaDistance("tumbng", "tumbang")).toBe(1);
  });

  it("finds a category typed in Indonesian with a typo", () => {
    expect(fuzzySearch(cats, "pohon tumbng")[0].code).toBe("POHON_TUMBANG");
    expect(fuzzySearch(cats, "kebakran")[0].code).toBe("KEBAKARAN");
  });

  it("matches prefixes, English names and codes", () => {
    expect(fuzzySearch(cats, "ban")[0].code).toBe("BANJIR");
    expect(fuzzySearch(cats, "fallen")[0].code).toBe("POHON_TUMBANG");
    expect(fuzzySearch(cats, "sampah")[0].code).toBe("SAMPAH");
  });

  it("finds nothing for nonsense", () => {
    expect(fuzzySearch(cats, "zzzz")).toEqual([]);
    expect(fuzzySearch(cats, "  ")).toEqual([]);
  });
});
