"""Write the API's OpenAPI document, from which the PWA's types are generated.

``python -m api.openapi_document pwa/openapi.json`` builds the app with its embedded defaults (no
database is touched) and writes the schema Litestar serves at ``/schema/openapi.json``, with
sorted keys so that the file changes only when the API does. ``make types`` runs it, then
openapi-typescript; ``make types-check`` (part of ``make test``) fails when the committed types
are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from api.app import create_app
from api.config import Settings

# Never connected: the document is built without running the app's lifespan.
_UNUSED_DATABASE = "postgresql+asyncpg://openapi@127.0.0.1:1/unused"


def document() -> str:
    """The OpenAPI document as stable, pretty JSON."""
    # Embedded defaults, not the environment: the document must not depend on who generates it.
    app = create_app(Settings(), database_url=_UNUSED_DATABASE)
    schema = app.openapi_schema.to_schema()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> None:
    text = document()
    if len(argv) > 1:
        Path(argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv)
