/**
 * The intake's case form: the category by fuzzy search (a combobox), what and where (description,
 * landmark, address, sensitivity, the pin), and the similar open cases near the pin to merge into.
 */
import { useMemo, useState } from "preact/hooks";
import type { LatLon } from "../lib/coords";
import { formatDistance, t } from "../lib/i18n";
import { categoryName } from "../lib/reference";
import type { AppConfig } from "../lib/types";
import { PriorityBadge, statusLabel } from "../shell/ui";
import { TextField } from "../ui/form-field";
import { fuzzySearch } from "./fuzzy";
import { AmlCard, type Fix } from "./intake-aml";
import type { Category, Similar } from "./intake-hooks";
import { PinEntry } from "./pin-entry";
import { PinMap } from "./pin-map";

export function CategoryCombo({
  categories,
  category,
  onCategory,
  disabled,
}: {
  categories: Category[];
  category: Category | null;
  onCategory: (c: Category | null) => void;
  disabled: boolean;
}) {
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const [listOpen, setListOpen] = useState(false);
  const matches = useMemo(() => fuzzySearch(categories, query), [categories, query]);

  const pick = (c: Category) => {
    onCategory(c);
    setQuery(c.name);
    setListOpen(false);
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setListOpen(true);
      setActive((a) => Math.min(a + 1, Math.max(matches.length - 1, 0)));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === "Enter" && listOpen && matches[active]) {
      e.preventDefault();
      pick(matches[active]);
    } else if (e.key === "Escape") {
      setListOpen(false);
    }
  };

  return (
    <div class="field combo">
      <label for="category-search">
        <span>{t("intake.category")}</span>
      </label>
      <input
        id="category-search"
        type="text"
        role="combobox"
        autoComplete="off"
        aria-autocomplete="list"
        aria-expanded={listOpen && matches.length > 0}
        aria-controls="category-list"
        aria-activedescendant={
          listOpen && matches[active] ? `cat-${matches[active].id}` : undefined
        }
        value={query}
        disabled={disabled}
        data-testid="category-search"
        onInput={(e) => {
          setQuery((e.target as HTMLInputElement).value);
          onCategory(null);
          setActive(0);
          setListOpen(true);
        }}
        onKeyDown={onKey}
      />
      <div
        id="category-list"
        role="listbox"
        aria-label={t("intake.category")}
        class="combo-list"
        hidden={!listOpen || matches.length === 0}
      >
        {matches.map((c, i) => (
          // biome-ignore lint/a11y/useKeyWithClickEvents: the combobox input handles keys
          <div
            key={c.id}
            id={`cat-${c.id}`}
            role="option"
            tabIndex={-1}
            aria-selected={i === active}
            class={i === active ? "active" : ""}
            data-code={c.code}
            onClick={() => pick(c)}
          >
            {categoryName(c)}
          </div>
        ))}
      </div>
      {category && (
        <p data-testid="category-chosen">
          {t("intake.category_chosen", { name: categoryName(category) })}{" "}
          <PriorityBadge priority={category.priority} />
        </p>
      )}
      {query && !category && listOpen && matches.length === 0 && (
        <p class="muted">{t("intake.no_category")}</p>
      )}
    </div>
  );
}

/** What the operator writes about the case; `pin` is placed on the map or by coordinates. */
export interface Draft {
  description: string;
  landmark: string;
  address: string;
  sensitive: boolean;
  pin: LatLon | null;
}

export const EMPTY_DRAFT: Draft = {
  description: "",
  landmark: "",
  address: "",
  sensitive: false,
  pin: null,
};

export function CaseFields({
  draft,
  onDraft,
  category,
  config,
  center,
  frozen,
  fix,
}: {
  draft: Draft;
  onDraft: (change: Partial<Draft>) => void;
  category: Category | null;
  config: AppConfig | null;
  center: LatLon;
  frozen: boolean;
  /** The call's AML location, if the phone network sent one. */
  fix: Fix | null;
}) {
  const onPin = (pin: LatLon) => !frozen && onDraft({ pin });
  return (
    <>
      <label class="field">
        <span>{t("intake.description")}</span>
        <textarea
          rows={3}
          value={draft.description}
          disabled={frozen}
          data-testid="description"
          onInput={(e) => onDraft({ description: (e.target as HTMLTextAreaElement).value })}
        />
      </label>
      <div class="row">
        {(["landmark", "address"] as const).map((field) => (
          <TextField
            key={field}
            class="field grow"
            label={t(`intake.${field}`)}
            value={draft[field]}
            onValue={(value) => onDraft({ [field]: value })}
            attrs={{ disabled: frozen }}
          />
        ))}
      </div>

      <label class="check" data-testid="sensitive">
        <input
          type="checkbox"
          checked={draft.sensitive || !!category?.sensitive}
          disabled={frozen || !!category?.sensitive}
          onChange={(e) => onDraft({ sensitive: (e.target as HTMLInputElement).checked })}
        />
        <span>
          {t("intake.sensitive")}
          <br />
          <small class="muted">
            {category?.sensitive ? t("intake.sensitive_category") : t("intake.sensitive_hint")}
          </small>
        </span>
      </label>

      <fieldset class="plain">
        <legend>{t("intake.location")}</legend>
        <AmlCard fix={fix} disabled={frozen} onUse={(f) => onPin({ lat: f.lat, lon: f.lon })} />
        {config ? (
          <PinMap
            center={center}
            pin={draft.pin}
            onPin={onPin}
            tiles={config.map}
            accuracy={fix && { lat: fix.lat, lon: fix.lon, radius_m: fix.accuracy_m }}
          />
        ) : (
          <p class="loading">{t("app.loading")}</p>
        )}
        <PinEntry cityCenter={center} disabled={frozen} onPin={onPin} />
      </fieldset>
    </>
  );
}

export function SimilarList({
  shown,
  canMerge,
  onMerge,
  onReject,
}: {
  shown: Similar[];
  canMerge: boolean;
  onMerge: (parent: Similar["case"]) => void;
  onReject: (id: string) => void;
}) {
  if (shown.length === 0) return null;
  return (
    <section class="similar" aria-labelledby="similar-h" data-testid="similar">
      <h3 id="similar-h">{t("intake.similar")}</h3>
      <ul class="plain-list">
        {shown.map((x) => (
          <li key={x.case.id} class="similar-item" data-reference={x.case.reference}>
            <div>
              <strong>{x.case.reference}</strong> · {statusLabel(x.case.status)} ·{" "}
              {formatDistance(x.distance_m)}
              <br />
              <span class="similar-desc">{x.case.description}</span>
            </div>
            <div class="row">
              <button
                type="button"
                class="btn btn-secondary"
                disabled={!canMerge}
                onClick={() => onMerge(x.case)}
              >
                {t("intake.merge")}
              </button>
              <button type="button" class="btn btn-secondary" onClick={() => onReject(x.case.id)}>
                {t("intake.reject")}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
