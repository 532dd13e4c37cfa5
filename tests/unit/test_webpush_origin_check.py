"""The sender checks every endpoint before a send, remembering the verdict per origin: the
verdict must be exactly what :func:`api.domain.push_endpoints.check_endpoint` says of the URL."""

from __future__ import annotations

import pytest

from api.adapters.keys import generate_vapid
from api.adapters.webpush import MAX_ORIGINS, WebPushSender
from api.domain.push_endpoints import EndpointRefused, check_endpoint

FCM = "https://fcm.googleapis.com/fcm/send/"


def _sender(**kw: object) -> WebPushSender:
    return WebPushSender(generate_vapid(), "mailto:ops@example.id", **kw)  # type: ignore[arg-type]


def _verdict(check: object, url: str) -> str:
    try:
        check(url)  # type: ignore[operator]
    except EndpointRefused as refused:
        return refused.reason
    return "ok"


@pytest.mark.parametrize(
    "urls",
    [
        # A look-alike host after the real one, and the real one after a look-alike.
        [FCM + "a", "https://fcm.googleapis.com.evil.example/x", FCM + "b"],
        ["https://evilfcm.googleapis.com/x", FCM + "a"],
        # User info, a port, a query right after the host, a scheme, a tab, a bare host.
        [FCM + "a", "https://user@fcm.googleapis.com/x", "https://fcm.googleapis.com:8443/x"],
        ["https://fcm.googleapis.com?x=1", "https://fcm.googleapis.com#f", FCM + "c"],
        [FCM + "a", "http://fcm.googleapis.com/x", "ftp://fcm.googleapis.com/x"],
        [FCM + "a", "https://fcm.googleapis.com\t.evil.example/x", "https://fcm.googleapis.com"],
        ["https://[::1]/x", "https://127.0.0.1/x", "not a url", "", FCM + "d"],
    ],
)
def test_a_remembered_verdict_is_the_check_of_the_url_itself(urls: list[str]) -> None:
    sender = _sender()
    for url in [*urls, *urls]:  # the second round answers from memory
        assert _verdict(sender.check, url) == _verdict(check_endpoint, url), url


def test_the_allow_list_and_plain_http_count_as_the_check_says() -> None:
    sender = _sender(allow_http=True, allowed_hosts=("127.0.0.1", "push.example.id"))
    for url in [
        "http://127.0.0.1:8080/p/1",
        "http://127.0.0.2:8080/p/1",
        "https://a.push.example.id/x",
    ]:
        expected = _verdict(
            lambda u: check_endpoint(
                u, allow_http=True, extra_hosts=("127.0.0.1", "push.example.id")
            ),
            url,
        )
        assert _verdict(sender.check, url) == expected == _verdict(sender.check, url)


def test_the_memory_is_bounded() -> None:
    sender = _sender()
    for i in range(MAX_ORIGINS * 3):
        with pytest.raises(EndpointRefused):
            sender.check(f"https://host-{i}.example/x")
    assert len(sender._checked) <= MAX_ORIGINS
