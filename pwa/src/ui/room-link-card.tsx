/** A large link or button with a title and a muted hint (menus, the landing page, exports). */
import type { ComponentChildren } from "preact";

interface CardProps {
  title: ComponentChildren;
  hint: ComponentChildren;
  testid?: string;
  /** The hint's own language, when it is written in the other one. */
  hintLang?: string;
}

export function LinkCard(p: CardProps & { href: string }) {
  return (
    <li>
      <a class="link-card" href={p.href} data-testid={p.testid}>
        <strong>{p.title}</strong>
        <span class="muted">{p.hint}</span>
      </a>
    </li>
  );
}

export function ButtonCard(p: CardProps & { onClick: () => void; disabled?: boolean }) {
  return (
    <li>
      <button
        type="button"
        class="link-card"
        disabled={p.disabled}
        onClick={p.onClick}
        data-testid={p.testid}
      >
        <strong>{p.title}</strong>
        <span class="muted" lang={p.hintLang}>
          {p.hint}
        </span>
      </button>
    </li>
  );
}
