"""Draw the Tanggap 112 icons into ``pwa/public/icons``: `uv run python pwa/scripts/make_icons.py`.

The output PNGs are committed; run this again only when the design changes. Pillow comes with the
API's dependencies and its default font is bundled, so no font download is needed.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "public" / "icons"
RED = (163, 32, 27, 255)  # theme colour #a3201b: white on it is 7:1
WHITE = (255, 255, 255, 255)


def _text(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], text: str) -> None:
    """Centre ``text`` in ``box``, as large as fits."""
    x0, y0, x1, y1 = box
    size = int(y1 - y0)
    while size > 8:
        font = ImageFont.load_default(size=size)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font, stroke_width=size // 30)
        if right - left <= x1 - x0 and bottom - top <= y1 - y0:
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            pos = (cx - (left + right) / 2, cy - (top + bottom) / 2)
            draw.text(pos, text, font=font, fill=WHITE, stroke_width=size // 30, stroke_fill=WHITE)
            return
        size -= 2


def icon(size: int, *, maskable: bool = False, label: str = "112") -> Image.Image:
    """A red tile with a white ring and "112". Maskable icons keep everything in the central 80%
    safe zone and fill the whole square, so any launcher mask crops only background."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        d.rectangle((0, 0, size, size), fill=RED)
        inner = size * 0.40  # ring radius inside the 40% safe-zone radius
    else:
        r = size * 0.18
        d.rounded_rectangle((0, 0, size - 1, size - 1), radius=r, fill=RED)
        inner = size * 0.46
    c = size / 2
    ring = max(2, int(size * 0.035))
    d.ellipse((c - inner, c - inner, c + inner, c + inner), outline=WHITE, width=ring)
    if label:
        half = inner * 0.68
        _text(d, (c - half, c - half * 0.55, c + half, c + half * 0.55), label)
    return img


def shortcut(size: int, kind: str) -> Image.Image:
    """Shortcut icons drawn as shapes (the bundled font has no symbols): a list, or an up arrow."""
    img = icon(size, maskable=True, label="")
    d = ImageDraw.Draw(img)
    w = max(3, size // 14)
    if kind == "tasks":
        for i, y in enumerate((0.36, 0.5, 0.64)):
            d.ellipse((size * 0.3 - w, size * y - w, size * 0.3 + w, size * y + w), fill=WHITE)
            d.line((size * 0.4, size * y, size * (0.7 - 0.04 * i), size * y), fill=WHITE, width=w)
    else:
        c = size / 2
        d.line((c, size * 0.32, c, size * 0.68), fill=WHITE, width=w)
        d.polygon(
            [(c, size * 0.26), (c - size * 0.14, size * 0.42), (c + size * 0.14, size * 0.42)],
            fill=WHITE,
        )
        d.line((size * 0.32, size * 0.72, size * 0.68, size * 0.72), fill=WHITE, width=w)
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    icon(192).save(OUT / "icon-192.png", optimize=True)
    icon(512).save(OUT / "icon-512.png", optimize=True)
    icon(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)
    # iOS ignores transparency: give it the full-bleed tile.
    icon(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    shortcut(96, "tasks").save(OUT / "shortcut-tasks-96.png", optimize=True)
    shortcut(96, "outbox").save(OUT / "shortcut-outbox-96.png", optimize=True)
    print(f"icons written to {OUT}")


if __name__ == "__main__":
    main()
