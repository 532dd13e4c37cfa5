"""Serves the built PWA from ``pwa/dist`` with an SPA fallback, so deep links survive reloads."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import File

from api.errors import NotFound

# Hashed assets never change; the shell, manifest and service worker must always be fresh.
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"


def _resolve(dist: Path, rel: str) -> Path | None:
    root = dist.resolve()
    target = (root / rel).resolve()
    if root not in target.parents and target != root:
        return None
    return target if target.is_file() else None


@get(["/", "/{path:path}"], include_in_schema=False, sync_to_thread=False)
def spa(state: State, path: FromPath[str] = "") -> Response[Any]:
    rel = path.lstrip("/")
    if rel.startswith(("api/", "open311/", "health/", "schema")):
        raise NotFound("route_not_found")
    dist: Path = state.settings.pwa_dist
    target = _resolve(dist, rel) if rel else None
    if target is None:
        # Unknown paths with a file extension are real misses, not app routes.
        if "." in rel.rsplit("/", 1)[-1]:
            raise NotFound("route_not_found")
        target = _resolve(dist, "index.html")
        if target is None:
            return Response(
                "Tanggap 112 API is running. The PWA is not built: run `make pwa`.",
                media_type="text/plain",
                headers={"Cache-Control": NO_CACHE},
            )
    cache = IMMUTABLE if rel.startswith("assets/") else NO_CACHE
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if target.suffix == ".webmanifest":
        media_type = "application/manifest+json"
    return File(
        target,
        media_type=media_type,
        content_disposition_type="inline",
        headers={"Cache-Control": cache},
    )
