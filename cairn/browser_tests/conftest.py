"""The browser leg: Playwright driving Debian's chromium against pytest-django's live server.

Without /usr/bin/chromium (or Playwright) the tests here are skipped with the reason shown,
unless CAIRN_REQUIRE_BROWSER=1, when they fail instead. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("CAIRN_CHROMIUM", "/usr/bin/chromium"))
# This machine's network is closed: everything that phones home must be off.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HERE = Path(__file__).resolve().parent


def _required() -> bool:
    return os.environ.get("CAIRN_REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes"}


def _missing_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not CHROMIUM.exists():
        return f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing_reason()
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason is not None and not _required():
            item.add_marker(pytest.mark.skip(reason=f"browser leg: {reason}"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _missing_reason()
    if reason is not None:
        if _required():
            pytest.fail(f"CAIRN_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(f"browser leg: {reason}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the
    # tests make between browser steps are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(
    request: pytest.FixtureRequest,
    browser: Any,
    live_server: Any,
    transactional_db: None,
) -> Iterator[Any]:
    """A fresh browser page; on failure a screenshot FAILED-<test>.png is kept."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
        failed_shot = ARTIFACTS / f"FAILED-{name}.png"
        failed_shot.unlink(missing_ok=True)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            # A failed screenshot must not hide the test's own failure.
            with contextlib.suppress(Exception):
                page.screenshot(path=str(failed_shot), full_page=True)
        context.close()


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """screenshot(page, "name") saves test-artifacts/name.png and returns its path."""

    def take(page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
