"""The admin web app in a real browser: the local runner as a subprocess, Debian's Chromium, axe-core.

Needs ``make e2e-deps`` (Chromium from apt at /usr/bin/chromium, axe-core from npm in tests/e2e/node_modules).
Missing either is a failure, never a skip: these tests are how we know the app works.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, ViewportSize, expect, sync_playwright

from devtools.telegram_updates import LocalUser, callback_update, message_update, post_update

REPO = Path(__file__).resolve().parents[2]
E2E = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
AXE = E2E / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL_PATH = "/admin/app/__axe.min.js"
"""Served to the page by the test itself (a route), so the page's strict CSP ('self' scripts) stays on."""
SCREENSHOTS = E2E / "screenshots"
DESKTOP = ViewportSize(width=1366, height=768)
PHONE = ViewportSize(width=390, height=844)
STARTUP_SECONDS = 120
ADMIN_ID = "100"
"""The local owner (``BOOTSTRAP_ADMIN_IDS`` of the local runner)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalSystem:
    """The running ``devtools.local_run``: its gateway, the fake Telegram's record, the bot's webhook."""

    process: subprocess.Popen[bytes]
    runtime: dict[str, Any]
    app_url: str
    log: Path
    owner_token: str | None = None

    @property
    def gateway(self) -> str:
        return str(self.runtime["gateway"])

    def say(self, user: LocalUser, text: str) -> None:
        """The participant types ``text`` to the bot (a webhook update, as Telegram would send it)."""
        post_update(
            self.gateway, self.runtime["webhook_secret"], message_update(user, text)
        ).raise_for_status()

    def press(self, user: LocalUser, data: str, message_id: int) -> None:
        """The participant presses an inline button."""
        update = callback_update(user, data, message_id)
        post_update(self.gateway, self.runtime["webhook_secret"], update).raise_for_status()

    def telegram_calls(self, chat_id: int, after: int = 0) -> tuple[list[dict[str, Any]], int]:
        """What the bot sent to ``chat_id`` (the fake Bot API's record) and the index to continue from."""
        answer = requests.get(
            f"{self.gateway}/_local/telegram/calls",
            params={"chat_id": str(chat_id), "after": str(after)},
            timeout=10,
        )
        answer.raise_for_status()
        data = answer.json()
        return list(data["calls"]), int(data["next"])

    def run(self, function: str) -> Any:
        answer = requests.post(f"{self.gateway}/_local/run/{function}", json={}, timeout=120)
        answer.raise_for_status()
        return answer.json()

    def admin_api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The admin API as the local owner, for setup and cleanup (what a test checks goes via the app)."""
        if self.owner_token is None:
            login = requests.post(
                f"{self.gateway}/admin/auth/dev", json={"telegram_id": ADMIN_ID}, timeout=10
            )
            login.raise_for_status()
            self.owner_token = str(login.json()["token"])
        answer = requests.request(
            method,
            f"{self.gateway}/admin{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.owner_token}"},
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()

    def give_points(self, participant_id: int, points: int) -> None:
        """Makes ``points`` available to the participant (an operator's correction)."""
        self.admin_api(
            "POST",
            f"/participants/{participant_id}/balance-corrections",
            {
                "available_change": points,
                "total_change": points,
                "reason": "Баллы для проверки",
                "idempotency_key": uuid.uuid4().hex,
            },
        )

    def ask_withdrawal(self, user: LocalUser, points: int) -> str:
        """The participant asks the bot for ``points`` and confirms; the new request's id."""
        _, seen = self.telegram_calls(user.id)
        self.say(user, "💸 Вывести баллы")
        self.say(user, str(points))
        calls, _ = self.telegram_calls(user.id, seen)
        markups = [call["params"].get("reply_markup") or {} for call in calls]
        buttons = [
            button
            for markup in markups
            for row in (json.loads(markup) if isinstance(markup, str) else markup).get("inline_keyboard", [])
            for button in row
            if str(button.get("callback_data", "")).startswith("wd:ok:")
        ]
        assert buttons, f"the bot offered no confirmation: {calls}"
        self.press(user, buttons[-1]["callback_data"], 1)
        texts = wait_for_calls(self, user.id, seen, rf"Заявка на вывод принята: {points} балл")
        found = re.findall(r"номер (\S+)\. Оператор", " ".join(texts))
        assert found, texts
        return str(self.admin_api("GET", f"/withdrawals/find?q={found[-1]}")["id"])


def _runner_environment() -> dict[str, str]:
    # The test session's own AWS/Telegram settings (tests/conftest.py) must not leak into the runner.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "TELEGRAM_", "OZON_", "TABLE_NAME", "ADMIN_", "BOOTSTRAP_"))
    }
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "layers" / "shared" / "python")])
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="session")
def local_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    """``python -m devtools.local_run`` with the demo network, on a free port; Ctrl-C (SIGINT) at the end."""
    workdir = tmp_path_factory.mktemp("local-run")
    log = workdir / "runner.log"
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own runner
            [sys.executable, "-m", "devtools.local_run", "--port", str(port), "--sync-seconds", "3600"],
            cwd=workdir,
            env=_runner_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    runtime_file = workdir / ".local" / "runtime.json"
    deadline = time.monotonic() + STARTUP_SECONDS
    app_url = None
    while app_url is None:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(timeout=10)
            pytest.fail(f"the local runner did not start:\n{log.read_text(errors='replace')[-4000:]}")
        found = re.search(r"Admin web app:\s+(http://\S+/admin/app)", log.read_text(errors="replace"))
        if found and runtime_file.exists():
            app_url = found.group(1)
        else:
            time.sleep(0.3)
    runtime = json.loads(runtime_file.read_text())
    system = LocalSystem(process=process, runtime=runtime, app_url=app_url, log=log)
    health = requests.get(f"{system.gateway}/_local/health", timeout=10).json()
    assert health["ok"] is True, health
    try:
        yield system
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                code = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
                pytest.fail("the local runner did not stop on Ctrl-C within 60 s")
        else:
            code = process.returncode
        assert code == 0, f"the local runner exited with {code}:\n{log.read_text(errors='replace')[-4000:]}"


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Playwright's sync API keeps an event loop running in this thread while it is open: closed when the
    browser tests are done, so the tests that run after them in the same process can run their own loops."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `make e2e-deps` (apt package chromium).")
    if not AXE.exists():
        pytest.fail(f"axe-core is missing ({AXE}): run `make e2e-deps` (npm ci --prefix tests/e2e).")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageProblems:
    """Uncaught exceptions and Content-Security-Policy violations seen while a test ran."""

    errors: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.errors.append(f"CSP: {message.text}")


@pytest.fixture
def page(browser: Browser, local_system: LocalSystem) -> Iterator[Page]:
    """A fresh browser session (no stored login or language) at desktop size."""
    context = browser.new_context(viewport=DESKTOP, locale="ru-RU", timezone_id="UTC", accept_downloads=True)
    # No Internet here: Telegram's widget script is refused at once instead of timing out.
    context.route("https://telegram.org/**", lambda route: route.abort())
    axe_source = AXE.read_text()

    def serve_axe(route: Route) -> None:
        route.fulfill(status=200, content_type="text/javascript; charset=utf-8", body=axe_source)

    context.route(f"**{AXE_URL_PATH}", serve_axe)
    problems = PageProblems()
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.on("pageerror", lambda error: problems.errors.append(f"uncaught: {error}"))
    tab.on("console", problems.console)
    try:
        yield tab
    finally:
        context.close()
    assert not problems.errors, "\n".join(problems.errors)


def check_accessibility(page: Page, screen: str) -> None:
    """axe-core on the current page: no serious or critical violations."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_URL_PATH)
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
            }));
        }"""
    )
    serious = [v for v in results if v["impact"] in ("serious", "critical")]
    report = "\n".join(f"{v['impact']} {v['id']}: {v['help']} — {v['targets']}" for v in serious)
    assert not serious, f"accessibility violations on {screen}:\n{report}"


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, app_url: str, route: str = "participants") -> None:
    page.goto(f"{app_url}#/{route}")
    expect(page.get_by_role("heading", name="Вход для операторов")).to_be_visible()
    page.get_by_label("Telegram ID").fill(ADMIN_ID)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("navigation", name="Разделы")).to_be_visible()


def open_screen(page: Page, app_url: str, route: str, heading: str) -> None:
    page.goto(f"{app_url}#/{route}")
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    expect(page.locator("[aria-busy=true]")).to_have_count(0)


def table_rows(page: Page, scope: str = "main") -> list[dict[str, str]]:
    """The first data table under ``scope`` as {column key: cell text} per row."""
    return list(
        page.locator(scope)
        .locator("table.data")
        .first.evaluate(
            """table => [...table.tBodies[0].rows]
                .filter(row => !row.querySelector("td.empty"))
                .map(row => Object.fromEntries(
                    [...row.cells].map(c => [c.dataset.col, c.innerText.trim()])))"""
        )
    )


def number(text: str) -> int:
    return int(re.sub(r"[^\d-]", "", text.split("\n")[0]) or "0")


def wait_for_calls(system: LocalSystem, chat_id: int, after: int, pattern: str) -> list[str]:
    """The texts the fake Bot API got for ``chat_id`` since ``after``, once one matches ``pattern``."""
    deadline = time.monotonic() + 15
    texts: list[str] = []
    while time.monotonic() < deadline:
        calls, _ = system.telegram_calls(chat_id, after)
        texts = [re.sub(r"<[^>]+>", "", str(c["params"].get("text", ""))) for c in calls]
        if any(re.search(pattern, text) for text in texts):
            return texts
        time.sleep(0.3)
    raise AssertionError(f"no message matching {pattern!r} to {chat_id}; got {texts}")
