/**
 * The one filter `<select>` of the control-room screens (dashboard, dispatch, the case drawer):
 * a visible label, an optional "all" choice (the empty value) and the options in words.
 */

export interface FilterOption {
  value: string | number;
  label: string;
}

/** A select's choices: the empty value first (in `none`'s words) when it may be left empty. */
export function Choices({ options, none }: { options: readonly FilterOption[]; none?: string }) {
  return (
    <>
      {none !== undefined && <option value="">{none}</option>}
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </>
  );
}

export interface FilterSelectProps {
  label: string;
  value: string;
  options: readonly FilterOption[];
  onChange: (value: string) => void;
  /** The words for the empty value ("all", "–"); omitted when the options name every choice. */
  all?: string;
  class?: string;
  testid?: string;
}

export function FilterSelect(p: FilterSelectProps) {
  return (
    <label class={p.class}>
      <span>{p.label}</span>
      <select
        value={p.value}
        data-testid={p.testid}
        onChange={(e) => p.onChange((e.target as HTMLSelectElement).value)}
      >
        <Choices options={p.options} none={p.all} />
      </select>
    </label>
  );
}
