/**
 * "Outside the city" in words, for the intake screen and the dispatch drawer: the neighbouring
 * region a place lies in (named in the screen's language, which may change after loading), a
 * note when its boundary is only approximate, and how to reach its control room.
 */
import type { Schema } from "../lib/api-types";
import { getLanguage, type Key, t } from "../lib/i18n";
import "./control-words";

export type OutsideFlag = Schema<"OutsideFlag">;
export type Neighbour = Schema<"NeighbourRef">;

const CONTACTS: [keyof Neighbour, Key][] = [
  ["contact_112", "handoff.contact_112"],
  ["contact_phone", "handoff.phone"],
  ["contact_email", "handoff.email"],
  ["contact_radio", "handoff.radio"],
];

/** The neighbour's name in the screen's language. */
export const nameOf = (n: Neighbour) => (getLanguage() === "en" ? n.name_en : n.name_id);

function Contacts({ n }: { n: Neighbour }) {
  const known = CONTACTS.filter(([field]) => String(n[field] ?? "").trim());
  if (known.length === 0) return <p class="muted">{t("handoff.no_contact")}</p>;
  return (
    <dl class="facts" data-testid="neighbour-contacts">
      {known.map(([field, word]) => (
        <div key={field}>
          <dt>{t(word)}</dt>
          <dd>{String(n[field])}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The flag's words, the boundary's certainty and the neighbour's contacts. */
export function OutsideFacts({ flag }: { flag: OutsideFlag }) {
  const n = flag.neighbour;
  return (
    <>
      <p role="status">
        <strong>
          {n
            ? t("handoff.outside_in", { city: flag.city, neighbour: nameOf(n) })
            : t("handoff.outside_nowhere", { city: flag.city })}
        </strong>
      </p>
      {n?.approximate && <p class="muted">{t("handoff.approximate")}</p>}
      {n && <Contacts n={n} />}
    </>
  );
}
