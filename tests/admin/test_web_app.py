"""The web app's files and its login options, served by the admin API's function."""

from __future__ import annotations

import base64
import gzip
import os
import re
from pathlib import Path

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from referral.admin import context, webapp

from functions.admin_api.handler import handler
from tests.admin.conftest import OWNER_ID, Api, http_event, snapshot
from tests.support.lambda_context import lambda_context

WEB = Path(__file__).resolve().parents[2] / "functions" / "admin_api" / "web"


def fetch(path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    result = handler(http_event("GET", path, headers=headers), lambda_context())
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
    if (result.get("headers") or {}).get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return result["statusCode"], result.get("headers") or {}, body


def test_the_app_page_is_served_without_a_session_with_a_strict_content_policy(api: Api) -> None:
    status, headers, body = fetch("/admin/app")

    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"<html" in body
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self' https://telegram.org" in policy
    assert "unsafe-inline" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_every_asset_the_page_links_is_served_with_its_type(api: Api) -> None:
    _, _, page = fetch("/admin/app")
    linked = re.findall(r'(?:src|href)="(/admin/app/[^"]+)"', page.decode())
    assert linked, "the page links its scripts and styles from /admin/app/"
    for path in linked:
        status, headers, body = fetch(path)
        assert status == 200, path
        assert body == (WEB / path.removeprefix("/admin/app/")).read_bytes()
        assert headers["Content-Type"].split(";")[0] in {"text/javascript", "text/css", "image/svg+xml"}


def test_scripts_are_compressed_when_the_browser_accepts_gzip(api: Api) -> None:
    script = next(WEB.rglob("*.js")).relative_to(WEB).as_posix()
    status, headers, body = fetch(f"/admin/app/{script}", {"accept-encoding": "gzip, br"})

    assert (status, headers.get("Content-Encoding")) == (200, "gzip")
    assert body == (WEB / script).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/app/../handler.py",
        "/admin/app/%2e%2e/handler.py",
        "/admin/app/handler.py",
        "/admin/app/.hidden.js",
        "/admin/app/no-such-file.js",
    ],
)
def test_nothing_but_the_app_files_can_be_fetched(api: Api, path: str) -> None:
    status, _, body = fetch(path)

    assert status == 404
    assert b"not_found" in body


def test_login_options_say_which_bot_and_that_the_development_login_is_off(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "@referral_bot")

    reply = api.get("/admin/auth/config", as_=None)

    assert reply.status == 200
    assert reply.json == {"bot_username": "referral_bot", "dev_login": False}


def test_the_development_login_is_refused_unless_switched_on(api: Api) -> None:
    before = snapshot()

    reply = api.post("/admin/auth/dev", {"telegram_id": OWNER_ID}, as_=None)

    assert (reply.status, reply.error["code"]) == (403, "dev_login_disabled")
    assert snapshot() == before


def test_the_switched_on_development_login_opens_a_session_for_an_admin_only(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_DEV_LOGIN", "1")
    context.reset(clock=api.clock, settings_max_age=0)

    assert api.get("/admin/auth/config", as_=None).json["dev_login"] is True
    login = api.post("/admin/auth/dev", {"telegram_id": OWNER_ID}, as_=None)
    stranger = api.post("/admin/auth/dev", {"telegram_id": "777"}, as_=None)

    assert login.status == 200
    me = api.get("/admin/auth/me", token=login.json["token"])
    assert (me.status, me.json["telegram_id"], me.json["role"]) == (200, OWNER_ID, "owner")
    assert (stranger.status, stranger.error["code"]) == (403, "forbidden")


def test_the_development_login_cannot_be_on_with_deployed_secrets(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_DEV_LOGIN", "1")
    monkeypatch.setenv("ADMIN_SESSION_SECRET_SECRET_ID", "ozon-referral/admin-session-secret")
    context.reset(clock=api.clock, settings_max_age=0)

    reply = api.post("/admin/auth/dev", {"telegram_id": OWNER_ID}, as_=None)

    assert (reply.status, reply.error["code"]) == (500, "misconfigured")


def test_a_file_edited_many_times_is_served_fresh_and_held_once(api: Api, tmp_path: Path) -> None:
    """A warm function keeps what it read, one version per file: edits are seen and memory does not grow."""
    resolver = APIGatewayHttpResolver()
    resolver.include_router(webapp.router(tmp_path), prefix="/admin")
    script = tmp_path / "app.js"
    for version in range(1, 21):
        script.write_text(f"export const version = {version};\n")
        os.utime(script, ns=(version * 10**9, version * 10**9))
        result = resolver.resolve(http_event("GET", "/admin/app/app.js"), lambda_context())

        assert (result["statusCode"], result["body"]) == (200, f"export const version = {version};\n")
    assert [path for path in webapp._FILES if path.parent == tmp_path] == [script.resolve()]
