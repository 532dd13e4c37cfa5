"""The WhatsApp Business Cloud API, behind a small interface: send a text or a template to a
number, and download an inbound message's media.

:class:`HttpWhatsApp` speaks the Cloud API: ``POST {api}/{phone-number-id}/messages`` with
``Authorization: Bearer <token>`` and ``{"messaging_product": "whatsapp", "to", "type", ...}``;
media is ``GET {api}/{media-id}`` (its URL) then a ``GET`` of that URL with the same token.
Every answer, including none, becomes a :class:`SendResult`; nothing here logs, and no error
text carries a number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from api.config import Settings
from api.domain.sms import SendResult


@dataclass(frozen=True)
class Template:
    """A pre-approved message template: its name, language and body parameters in order."""

    name: str
    language: str
    parameters: tuple[str, ...]


@dataclass(frozen=True)
class Sent:
    result: SendResult
    provider_id: str | None = None


class MediaTooLarge(Exception):
    pass


class MediaUnavailable(Exception):
    pass


class WhatsApp(Protocol):
    async def send(self, *, to: str, text: str | None, template: Template | None) -> Sent:
        """Send a text, or else the template, to ``to`` (digits, country code first)."""
        ...

    async def fetch_media(self, media_id: str, dest: Path, max_bytes: int) -> None:
        """Download the media into ``dest``; :class:`MediaTooLarge` past ``max_bytes``,
        :class:`MediaUnavailable` when the API does not give it."""
        ...


class HttpWhatsApp:
    """The Cloud API of the settings (``TANGGAP_WHATSAPP_API_URL``, ``_TOKEN``,
    ``_PHONE_NUMBER_ID``)."""

    def __init__(self, settings: Settings) -> None:
        self.api_url = settings.whatsapp_api_url.rstrip("/")
        self.token = settings.whatsapp_token
        self.phone_number_id = settings.whatsapp_phone_number_id
        self.timeout = aiohttp.ClientTimeout(total=max(1, settings.whatsapp_timeout_ms) / 1000)

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def send(self, *, to: str, text: str | None, template: Template | None) -> Sent:
        if not self.phone_number_id:
            return Sent(SendResult(None, "no WhatsApp number configured"))
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to.lstrip("+"),
        }
        if text is not None:
            body |= {"type": "text", "text": {"body": text}}
        else:
            assert template is not None
            params = [{"type": "text", "text": p} for p in template.parameters]
            body |= {
                "type": "template",
                "template": {
                    "name": template.name,
                    "language": {"code": template.language},
                    "components": [{"type": "body", "parameters": params}],
                },
            }
        url = f"{self.api_url}/{self.phone_number_id}/messages"
        try:
            async with (
                aiohttp.ClientSession(timeout=self.timeout) as session,
                session.post(url, json=body, headers=self._auth, allow_redirects=False) as r,
            ):
                raw = await r.read()
                provider_id = None
                if 200 <= r.status < 300:
                    try:
                        provider_id = str(json.loads(raw)["messages"][0]["id"])[:128]
                    except (ValueError, KeyError, IndexError, TypeError):
                        provider_id = None
                return Sent(SendResult(r.status), provider_id)
        except TimeoutError:
            return Sent(SendResult(None, "timeout"))
        except (aiohttp.ClientError, OSError) as exc:
            return Sent(SendResult(None, type(exc).__name__))

    async def fetch_media(self, media_id: str, dest: Path, max_bytes: int) -> None:
        try:
            async with aiohttp.ClientSession(timeout=self.timeout) as session:
                async with session.get(f"{self.api_url}/{media_id}", headers=self._auth) as r:
                    if r.status != 200:
                        raise MediaUnavailable(f"media lookup answered {r.status}")
                    info = await r.json(content_type=None)
                url = info.get("url") if isinstance(info, dict) else None
                if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                    raise MediaUnavailable("no media url")
                async with session.get(url, headers=self._auth, allow_redirects=False) as r:
                    if r.status != 200:
                        raise MediaUnavailable(f"media download answered {r.status}")
                    if (r.content_length or 0) > max_bytes:
                        raise MediaTooLarge()
                    size = 0
                    with dest.open("wb") as f:
                        async for chunk in r.content.iter_chunked(64 * 1024):
                            size += len(chunk)
                            if size > max_bytes:
                                raise MediaTooLarge()
                            f.write(chunk)
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            raise MediaUnavailable(type(exc).__name__) from None
