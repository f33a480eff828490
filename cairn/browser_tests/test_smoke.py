"""A demo member signs in through the real login form and sees the shared Acme objective."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cairn.demo.loader import DEMO_PASSWORD, SHARED_OBJECTIVE, email_of, load_demo

pytestmark = pytest.mark.browser


def sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")


def test_a_demo_member_signs_in_and_sees_the_shared_objective(
    page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    from playwright.sync_api import expect

    load_demo()
    sign_in(page, email_of("mia"), DEMO_PASSWORD)

    page.wait_for_url("**/o/acme/**")
    expect(page.get_by_text(SHARED_OBJECTIVE).first).to_be_visible()
    assert screenshot(page, "demo-member-home").exists()
