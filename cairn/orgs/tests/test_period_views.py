"""Periods: the list with state badges, create, edit, delete and "create next quarter"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.conftest import World
from cairn.okrs.models import Objective
from cairn.orgs import services
from cairn.orgs.models import HistoryEvent, Period, PeriodKind

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, *args: object, org: str = "acme") -> str:
    return reverse(f"orgs:{name}", args=[org, *args])


def period_data(**overrides: str) -> dict[str, str]:
    return {
        "name": "2027 Q1",
        "kind": "quarter",
        "start": "2027-01-01",
        "end": "2027-03-31",
        "state": "planning",
        **overrides,
    }


def queries_for(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_an_outsider_gets_404_on_every_period_page(outsider_client: Client, world: World) -> None:
    uid = world.period.uid
    for path in (
        url("periods"),
        url("period_create"),
        url("period_edit", uid),
        url("period_delete", uid),
        url("period_next_quarter"),
    ):
        assert outsider_client.get(path).status_code == 404, path
        assert outsider_client.post(path, period_data()).status_code == 404, path
    for name in ("period_edit", "period_delete"):
        path = url(name, uid, org="globex")
        assert outsider_client.post(path, period_data(name="Stolen")).status_code == 404
    assert Period.objects.filter(pk=world.period.pk, name="2026 Q4").exists()


@pytest.mark.parametrize("who", ["viewer_client", "member_client"])
def test_a_viewer_or_member_cannot_create_change_or_delete_periods(
    request: pytest.FixtureRequest, who: str, world: World
) -> None:
    client: Client = request.getfixturevalue(who)
    uid = world.period.uid
    assert client.get(url("period_create")).status_code == 403
    assert client.post(url("period_create"), period_data()).status_code == 403
    assert client.post(url("period_edit", uid), period_data(name="X")).status_code == 403
    assert client.post(url("period_delete", uid)).status_code == 403
    assert client.post(url("period_next_quarter")).status_code == 403
    assert list(Period.objects.filter(organization=world.org).values_list("name", flat=True)) == [
        "2026 Q4"
    ]


def test_everyone_sees_the_periods_with_their_state(viewer_client: Client, world: World) -> None:
    response = viewer_client.get(url("periods"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026 Q4" in html
    assert 'class="badge badge--active"' in html
    assert url("period_edit", world.period.uid) not in html


def test_the_period_list_takes_the_same_number_of_queries_for_3x_the_periods(
    admin_client: Client, world: World
) -> None:
    def grow(count: int, start: int) -> None:
        for i in range(start, start + count):
            services.create_period(
                organization=world.org,
                actor=world.admin,
                name=f"Y{i}",
                kind=PeriodKind.YEAR,
                start=dt.date(2000 + i, 1, 1),
                end=dt.date(2000 + i, 12, 31),
            )

    grow(3, 0)
    small = queries_for(admin_client, url("periods"))
    grow(6, 3)
    large = queries_for(admin_client, url("periods"))
    assert small == large


def test_an_admin_creates_a_period(admin_client: Client, world: World) -> None:
    response = admin_client.post(url("period_create"), period_data())
    assert response.status_code == 302
    assert response["Location"] == url("periods")
    period = Period.objects.get(organization=world.org, name="2027 Q1")
    assert (period.start, period.end) == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    assert HistoryEvent.objects.filter(
        target_kind="period", target_uid=period.uid, action="created", actor=world.admin
    ).exists()


def test_a_period_ending_before_it_starts_shows_an_error_on_the_end_field(
    admin_client: Client, world: World
) -> None:
    response = admin_client.post(url("period_create"), period_data(end="2026-12-01"))
    assert response.status_code == 200
    assert response.context["form"].errors["end"]
    assert not Period.objects.filter(name="2027 Q1").exists()


def test_a_period_with_missing_dates_shows_errors(admin_client: Client, world: World) -> None:
    response = admin_client.post(url("period_create"), period_data(start="", end="soon"))
    assert response.status_code == 200
    assert {"start", "end"} <= set(response.context["form"].errors)
    assert not Period.objects.filter(name="2027 Q1").exists()


def test_an_admin_closes_a_period_from_its_checklist_not_in_place_and_the_history_says_so(
    admin_client: Client, world: World
) -> None:
    edit = url("period_edit", world.period.uid)
    assert 'value="closed"' not in admin_client.get(edit).content.decode()
    response = admin_client.post(
        edit,
        period_data(name="2026 Q4", start="2026-10-01", end="2026-12-31", state="closed"),
        **HTMX,
    )
    assert response.status_code == 200
    assert response.context["form"].errors["state"]
    world.period.refresh_from_db()
    assert world.period.state == "active"

    close = reverse("reporting:close", args=["acme", world.period.uid])
    response = admin_client.post(close, {"note": "Quarter review done."})
    assert response.status_code == 302
    html = admin_client.get(edit, **HTMX).content.decode()
    assert "<html" not in html
    assert "changed state from Active to Closed" in html
    assert "Quarter review done." in html
    world.period.refresh_from_db()
    assert world.period.state == "closed"
    # Its edit form no longer offers a state at all: reopening is the checklist's, too.
    response = admin_client.post(
        edit, period_data(name="2026 Q4 (done)", start="2026-10-01", end="2026-12-31")
    )
    assert response.status_code == 302
    world.period.refresh_from_db()
    assert (world.period.name, world.period.state) == ("2026 Q4 (done)", "closed")


def test_renaming_a_period_to_a_taken_name_is_a_field_error(
    admin_client: Client, world: World
) -> None:
    services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027 Q1",
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 3, 31),
    )
    response = admin_client.post(
        url("period_edit", world.period.uid),
        period_data(name="2027 q1", start="2026-10-01", end="2026-12-31"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    world.period.refresh_from_db()
    assert world.period.name == "2026 Q4"


def test_an_admin_deletes_an_empty_period(admin_client: Client, world: World) -> None:
    assert admin_client.get(url("period_delete", world.period.uid)).status_code == 200
    response = admin_client.post(url("period_delete", world.period.uid))
    assert response.status_code == 302
    assert not Period.objects.filter(pk=world.period.pk).exists()
    assert HistoryEvent.objects.filter(target_uid=world.period.uid, action="deleted").exists()


def test_deleting_a_period_with_objectives_is_refused_with_a_message(
    admin_client: Client, world: World, objective: Objective
) -> None:
    response = admin_client.post(url("period_delete", world.period.uid), follow=True)
    assert response.status_code == 200
    assert "cannot be deleted" in response.content.decode()
    assert Period.objects.filter(pk=world.period.pk).exists()
    response = admin_client.post(url("period_delete", world.period.uid), **HTMX)
    assert response.status_code == 200
    assert "cannot be deleted" in response.content.decode()
    assert 'id="periods"' in response.content.decode()


def test_create_next_quarter_adds_the_quarter_after_the_latest(
    admin_client: Client, world: World
) -> None:
    response = admin_client.post(url("period_next_quarter"), **HTMX)
    assert response.status_code == 200
    assert "2027 Q1" in response.content.decode()
    period = Period.objects.get(organization=world.org, name="2027 Q1")
    assert (period.start, period.end) == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    assert HistoryEvent.objects.filter(target_uid=period.uid, action="created").exists()
    response = admin_client.post(url("period_next_quarter"))
    assert response.status_code == 302
    assert Period.objects.filter(organization=world.org, name="2027 Q2").exists()


def test_create_next_quarter_refuses_a_get(admin_client: Client, world: World) -> None:
    assert admin_client.get(url("period_next_quarter")).status_code == 405
    assert Period.objects.filter(organization=world.org).count() == 1


def test_create_next_quarter_reports_a_name_clash_instead_of_failing(
    admin_client: Client, world: World
) -> None:
    services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027 Q1",
        kind=PeriodKind.CUSTOM,
        start=dt.date(2027, 1, 5),
        end=dt.date(2027, 2, 1),
    )
    response = admin_client.post(url("period_next_quarter"), follow=True)
    assert response.status_code == 200
    assert "Another period already has this name." in response.content.decode()
