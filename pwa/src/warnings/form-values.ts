/** The draft form's values and what fills them (`form.tsx`). */
import { useEffect, useState } from "preact/hooks";
import { loadGeography } from "../lib/map";
import { localInput, type StaffWarning } from "./data";

// A default a coordinator rarely changes: most warnings are about the next hours.
const DEFAULT_HOURS = 6;

export interface Kecamatan {
  id: number;
  name: string;
}

export interface Values {
  category: string;
  severity: string;
  urgency: string;
  certainty: string;
  event_id: string;
  event_en: string;
  headline_id: string;
  headline_en: string;
  instruction_id: string;
  instruction_en: string;
  expires: string;
}

/** The form's values: empty (a default expiry), or `from` a warning being changed. */
export function initial(from: StaffWarning | null): Values {
  const later = new Date(Date.now() + DEFAULT_HOURS * 3600_000);
  if (!from) {
    return {
      category: "Met",
      severity: "",
      urgency: "",
      certainty: "",
      event_id: "",
      event_en: "",
      headline_id: "",
      headline_en: "",
      instruction_id: "",
      instruction_en: "",
      expires: localInput(later),
    };
  }
  const expires = Date.parse(from.expires_at) > Date.now() ? new Date(from.expires_at) : later;
  return {
    category: from.category,
    severity: from.severity,
    urgency: from.urgency,
    certainty: from.certainty,
    event_id: from.event_id,
    event_en: from.event_en,
    headline_id: from.headline_id,
    headline_en: from.headline_en,
    instruction_id: from.instruction_id,
    instruction_en: from.instruction_en,
    expires: localInput(expires),
  };
}

/** The city's kecamatan, by name, from the geography layer. */
export function useKecamatan(): Kecamatan[] | null {
  const [list, setList] = useState<Kecamatan[] | null>(null);
  useEffect(() => {
    void loadGeography()
      .then((g) =>
        setList(
          g.features
            .filter((f) => f.properties.kind === "kecamatan" && typeof f.id === "number")
            .map((f) => ({ id: f.id as number, name: f.properties.name ?? "" }))
            .sort((a, b) => a.name.localeCompare(b.name)),
        ),
      )
      .catch(() => setList([]));
  }, []);
  return list;
}
