"""The inbox ("My week"), a person's own settings and the organization's check-in day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.alignment import services as alignment_services
from cairn.alignment.models import Dependency
from cairn.checkins import queries, services, syncs
from cairn.checkins.models import CheckIn
from cairn.conftest import World
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Member, PeriodState, Role, Weekday

pytestmark = pytest.mark.django_db

# A Wednesday inside the fixture period (2026 Q4); the weekly window runs Mon 9 - Sun 15.
NOW = dt.datetime(2026, 11, 11, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def make_kr(
    world: World,
    objective: Objective,
    title: str,
    *,
    owner: Member | None = None,
    visibility: str = "public",
) -> KeyResult:
    return okr_services.create_key_result(
        actor=world.admin,
        objective=objective,
        title=title,
        start_value=0,
        target_value=10,
        owner=owner,
        visibility=visibility,
    )


def check_in(
    kr: KeyResult,
    author: Member,
    *,
    days_ago: int = 0,
    next_up_due: dt.date | None = None,
    blocker: bool = False,
    insight: bool = False,
    text: str = "moved",
    confidence: int | None = 7,
) -> CheckIn:
    kr.refresh_from_db()
    return services.record_check_in(
        key_result=kr,
        author=author,
        progress=services.Progress(value=1, comment=text),
        confidence=services.Confidence(level=confidence) if confidence is not None else None,
        next_up=services.NextUp(plan=f"plan for {text}", due=next_up_due) if next_up_due else None,
        blocker=blocker,
        insight=insight,
        at=NOW - dt.timedelta(days=days_ago),
    )


def inbox_url(world: World) -> str:
    return reverse("checkins:inbox", args=[world.org.slug])


@pytest.fixture
def team_objective(world: World) -> Objective:
    return okr_services.create_objective(
        actor=world.admin, period=world.period, title="Team goal", owner_teams=[world.team]
    )


# Scope --------------------------------------------------------------------------------------


def test_the_inbox_lists_my_key_results_and_unowned_ones_of_objectives_i_own(
    world: World, team_objective: Objective
) -> None:
    mine = make_kr(world, team_objective, "Mine", owner=world.member)
    make_kr(world, team_objective, "Someone else's", owner=world.admin)
    make_kr(world, team_objective, "Nobody's on a team objective")
    personal = okr_services.create_objective(
        actor=world.member, period=world.period, title="Personal", owner_person=world.member
    )
    unowned = make_kr(world, personal, "Nobody's on my objective")
    delegated = make_kr(world, personal, "Delegated to Ada", owner=world.admin)

    inbox = queries.inbox_for(world.member, TODAY)

    titles = {row.key_result.title for row in inbox.rows}
    assert titles == {mine.title, unowned.title}
    assert delegated.title not in titles


def test_the_inbox_leaves_out_key_results_of_closed_periods(
    world: World, team_objective: Objective
) -> None:
    make_kr(world, team_objective, "Old", owner=world.member)
    world.period.state = PeriodState.CLOSED
    world.period.save(update_fields=["state"])
    assert queries.inbox_for(world.member, TODAY).rows == []


def test_it_sorts_key_results_into_due_without_next_up_and_next_up_overdue(
    world: World, team_objective: Objective
) -> None:
    fresh = make_kr(world, team_objective, "Fresh", owner=world.member)
    check_in(fresh, world.member, days_ago=1, next_up_due=TODAY + dt.timedelta(days=5))
    due = make_kr(world, team_objective, "Due", owner=world.member)
    # Checked in last Friday: before this window's Monday, so due again.
    check_in(due, world.member, days_ago=5, next_up_due=TODAY + dt.timedelta(days=2))
    no_next_up = make_kr(world, team_objective, "No next up", owner=world.member)
    check_in(no_next_up, world.member, days_ago=1)
    overdue = make_kr(world, team_objective, "Overdue", owner=world.member)
    check_in(overdue, world.member, days_ago=2, next_up_due=TODAY - dt.timedelta(days=2))

    inbox = queries.inbox_for(world.member, TODAY)

    assert [kr.title for kr in inbox.due] == ["Due"]
    assert [kr.title for kr in inbox.without_next_up] == ["No next up"]
    assert [kr.title for kr in inbox.overdue_next_ups] == ["Overdue"]
    assert [row.key_result.title for row in inbox.caught_up] == ["Fresh"]


def test_the_due_window_follows_the_organizations_time_zone(
    world: World, team_objective: Objective
) -> None:
    """23:30 on Sunday in UTC is already Monday in Auckland: a new window there."""
    kr = make_kr(world, team_objective, "Late", owner=world.member)
    sunday_night = dt.datetime(2026, 11, 8, 23, 30, tzinfo=dt.UTC)
    services.record_check_in(
        key_result=kr,
        author=world.member,
        confidence=services.Confidence(level=5),
        next_up=services.NextUp(plan="p", due=TODAY + dt.timedelta(days=3)),
        at=sunday_night,
    )
    assert [k.title for k in queries.inbox_for(world.member, TODAY).due] == ["Late"]
    world.org.time_zone = "Pacific/Auckland"
    world.org.save(update_fields=["time_zone"])
    world.member.organization = world.org
    assert queries.inbox_for(world.member, TODAY).due == []


def test_it_lists_my_open_blockers_and_those_raised_on_my_teams_key_results(
    world: World, team_objective: Objective
) -> None:
    team_kr = make_kr(world, team_objective, "Team KR", owner=world.admin)
    other = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Platform", owner_teams=[world.other_team]
    )
    other_kr = make_kr(world, other, "Platform KR", owner=world.admin)
    mine = check_in(other_kr, world.member, blocker=True, text="MY-BLOCKER")
    on_team = check_in(team_kr, world.admin, blocker=True, text="TEAM-BLOCKER")
    check_in(other_kr, world.admin, blocker=True, text="ELSEWHERE")
    resolved = check_in(team_kr, world.admin, blocker=True, text="RESOLVED")
    services.resolve_blocker(check_in=resolved, actor=world.admin, how="done")

    inbox = queries.inbox_for(world.member, TODAY)

    assert [b.check_in for b in inbox.my_blockers] == [mine]
    assert [b.check_in for b in inbox.team_blockers] == [on_team]


# The page -----------------------------------------------------------------------------------


def test_the_inbox_page_offers_a_check_in_in_place_for_each_key_result(
    world: World, team_objective: Objective, member_client: Client
) -> None:
    kr = make_kr(world, team_objective, "Reach 10 customers", owner=world.member)
    response = member_client.get(inbox_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Reach 10 customers" in html
    assert f'id="checkin-{kr.uid}"' in html and "data-slot" in html
    assert f'hx-target="#checkin-{kr.uid}"' in html
    assert "Check in" in html


def test_a_check_in_from_an_inbox_row_returns_that_row_in_its_new_state_and_the_counts(
    world: World, team_objective: Objective, member_client: Client
) -> None:
    kr = make_kr(world, team_objective, "Reach 10 customers", owner=world.member)
    make_kr(world, team_objective, "Still to do", owner=world.member)
    check_in(kr, world.member, days_ago=10, next_up_due=TODAY - dt.timedelta(days=3))
    before = member_client.get(inbox_url(world)).content.decode()
    assert "Next Up overdue since" in before and "2 due this cadence" in before

    response = member_client.post(
        reverse("checkins:check_in_new", args=[world.org.slug, kr.uid]),
        {
            "place": "slot",
            "progress_value": "4",
            "confidence": "8",
            "next_up_plan": "Call the last two prospects",
            "next_up_due": (TODAY + dt.timedelta(days=5)).isoformat(),
        },
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#inbox-kr-{kr.uid}"
    assert response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li class="inbox-row" id="inbox-kr-{kr.uid}">')
    row = html[: html.index('id="inbox-counts"')]
    assert "overdue" not in row and "Due:" not in row and "No Next Up" not in row
    assert 'class="confidence__level">8<' in row
    assert "staleness--fresh" in row
    assert "Check-in recorded." in row
    # The counts above the list, out of band: one key result left due, none overdue.
    counts = html[html.index('<p id="inbox-counts"') :]
    assert 'hx-swap-oob="true"' in counts
    assert "1 due this cadence" in counts and "0 Next Ups overdue" in counts


def test_htmx_gets_the_inbox_fragment(
    world: World, team_objective: Objective, member_client: Client
) -> None:
    make_kr(world, team_objective, "Reach 10 customers", owner=world.member)
    response = member_client.get(inbox_url(world), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="inbox"') and "<html" not in html


def test_a_viewer_reads_an_inbox_without_check_in_buttons(
    world: World, viewer_client: Client
) -> None:
    response = viewer_client.get(inbox_url(world))
    assert response.status_code == 200
    assert "data-slot" not in response.content.decode()


def test_an_outsider_gets_a_404_on_the_inbox(world: World, outsider_client: Client) -> None:
    assert outsider_client.get(inbox_url(world)).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(world: World) -> None:
    response = Client().get(inbox_url(world))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_private_key_results_blocker_never_reaches_an_inbox_that_may_not_see_it(
    world: World, private_objective: Objective, member_client: Client
) -> None:
    secret = make_kr(world, private_objective, "PRIVATE-MARKER kr", owner=world.admin)
    check_in(secret, world.admin, blocker=True, text="PRIVATE-MARKER blocker")
    html = member_client.get(inbox_url(world)).content.decode()
    assert "PRIVATE-MARKER" not in html
    assert queries.inbox_for(world.member, TODAY).team_blockers == []


def test_the_inbox_uses_a_constant_number_of_queries(
    world: World, team_objective: Objective, member_client: Client
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            kr = make_kr(world, team_objective, f"KR {i}", owner=world.member)
            check_in(kr, world.member, days_ago=3, blocker=True, text=f"b{i}")
            check_in(kr, world.admin, days_ago=2, blocker=True, text=f"t{i}")
            # Requests to my team and shared OKRs with (and without) a sync grow too.
            platform_goal = platform_objective(
                world, f"Platform goal {i} {Objective.objects.count()}"
            )
            ask_product(
                world, platform_goal, f"need {i}", key_result=make_kr(world, platform_goal, "x")
            )
            shared = shared_objective(world, f"Shared {i} {Objective.objects.count()}")
            if i % 2:
                syncs.record_sync(
                    actor=world.member,
                    objective=shared,
                    held_on=TODAY - dt.timedelta(days=i),
                    attendees=[world.member],
                    notes="",
                )

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert member_client.get(inbox_url(world)).status_code == 200
        return len(ctx.captured_queries)

    add(2)
    small = count()
    add(4)
    assert count() == small


# Requests to my teams and next syncs ----------------------------------------------------------


def platform_objective(world: World, title: str = "Platform goal") -> Objective:
    return okr_services.create_objective(
        actor=world.admin, period=world.period, title=title, owner_teams=[world.other_team]
    )


def shared_objective(world: World, title: str = "Shared goal") -> Objective:
    return okr_services.create_objective(
        actor=world.admin,
        period=world.period,
        title=title,
        owner_teams=[world.team, world.other_team],
    )


def ask_product(
    world: World, objective: Objective, need: str, *, key_result: KeyResult | None = None
) -> Dependency:
    return alignment_services.request_dependency(
        actor=world.admin,
        objective=objective,
        requesting_team=world.other_team,
        providing_team=world.team,
        need=need,
        key_result=key_result,
        due=TODAY + dt.timedelta(days=10),
    )


def test_requests_to_my_teams_are_the_open_proposals_made_of_them(
    world: World, member_client: Client
) -> None:
    goal = platform_objective(world)
    waiting = ask_product(world, goal, "INCOMING-WAITING")
    answered = ask_product(world, goal, "INCOMING-ACCEPTED")
    alignment_services.change_dependency_state(
        actor=world.member, dependency=answered, to_state="accepted", comment="Yes"
    )
    sales = org_services.create_team(organization=world.org, actor=world.admin, name="Sales")
    alignment_services.request_dependency(
        actor=world.admin,
        objective=goal,
        requesting_team=world.other_team,
        providing_team=sales,
        need="ELSEWHERE",
    )

    assert queries.requests_to_my_teams(world.member) == [waiting]
    html = member_client.get(inbox_url(world)).content.decode()
    assert "Requests to your teams" in html and "INCOMING-WAITING" in html
    assert reverse("alignment:dependency", args=[world.org.slug, waiting.uid]) in html
    assert "INCOMING-ACCEPTED" not in html and "ELSEWHERE" not in html


def test_a_team_lead_sees_requests_made_of_the_team_they_lead(world: World) -> None:
    lead = org_services.add_member(
        organization=world.org, email="lee@acme.test", role=Role.MEMBER, actor=world.admin
    )
    world.team.lead = lead
    world.team.save(update_fields=["lead"])
    waiting = ask_product(world, platform_objective(world), "for the lead")
    assert queries.requests_to_my_teams(lead) == [waiting]


def test_a_request_from_a_key_result_i_may_not_see_stays_out_of_my_inbox(
    world: World, member_client: Client
) -> None:
    goal = platform_objective(world)
    kr = make_kr(world, goal, "PRIVATE-MARKER kr")
    ask_product(world, goal, "PRIVATE-MARKER need", key_result=kr)
    # The key result went private after the request was made.
    kr.visibility = "private"
    kr.save(update_fields=["visibility"])
    assert queries.requests_to_my_teams(world.member) == []
    assert "PRIVATE-MARKER" not in member_client.get(inbox_url(world)).content.decode()


def test_next_syncs_list_my_teams_shared_okrs_and_invite_to_record_the_first(
    world: World, team_objective: Objective, member_client: Client
) -> None:
    first = shared_objective(world, "SHARED-NEW")
    synced = shared_objective(world, "SHARED-SYNCED")
    syncs.record_sync(
        actor=world.member, objective=synced, held_on=TODAY, attendees=[], notes="", cadence_days=7
    )
    other = okr_services.create_objective(
        actor=world.admin, period=world.period, title="NOT-MINE", owner_teams=[world.other_team]
    )
    sales = org_services.create_team(organization=world.org, actor=world.admin, name="Sales")
    okr_services.add_owning_team(objective=other, team=sales, actor=world.admin)

    items = queries.next_syncs(world.member, TODAY)

    assert [(i.objective, i.next_sync_on) for i in items] == [
        (first, None),
        (synced, TODAY + dt.timedelta(days=7)),
    ]
    html = member_client.get(inbox_url(world)).content.decode()
    sync_url = reverse("checkins:sync", args=[world.org.slug, first.uid])
    assert "Next syncs" in html and f'href="{sync_url}#sync-record"' in html
    assert "Record the first sync" in html and "Team goal" not in html.split("Next syncs")[1]
    assert "NOT-MINE" not in html


def test_next_syncs_leave_out_closed_periods(world: World) -> None:
    shared_objective(world)
    world.period.state = PeriodState.CLOSED
    world.period.save(update_fields=["state"])
    assert queries.next_syncs(world.member, TODAY) == []


def test_people_in_no_team_have_no_requests_or_syncs(world: World) -> None:
    shared_objective(world)
    assert queries.requests_to_my_teams(world.viewer) == []
    assert queries.next_syncs(world.viewer, TODAY) == []


# My settings --------------------------------------------------------------------------------


def test_a_person_opts_out_of_reminder_emails(world: World, member_client: Client) -> None:
    url = reverse("checkins:my_settings", args=[world.org.slug])
    page = member_client.get(url)
    assert page.status_code == 200 and 'name="reminder_emails"' in page.content.decode()
    response = member_client.post(url, {})
    assert response.status_code == 302
    world.member.refresh_from_db()
    assert world.member.reminder_emails is False
    member_client.post(url, {"reminder_emails": "on"})
    world.member.refresh_from_db()
    assert world.member.reminder_emails is True


def test_my_settings_change_only_my_own_membership(world: World, viewer_client: Client) -> None:
    url = reverse("checkins:my_settings", args=[world.org.slug])
    response = viewer_client.post(url, {}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Saved." in response.content.decode()
    world.viewer.refresh_from_db()
    world.member.refresh_from_db()
    assert world.viewer.reminder_emails is False and world.member.reminder_emails is True


def test_an_outsider_gets_a_404_on_my_settings(world: World, outsider_client: Client) -> None:
    url = reverse("checkins:my_settings", args=[world.org.slug])
    assert outsider_client.post(url, {}).status_code == 404
    world.outsider.refresh_from_db()
    assert world.outsider.reminder_emails is True


def test_the_user_menu_links_to_my_settings_and_the_nav_to_the_rhythm_pages(
    world: World, member_client: Client
) -> None:
    html = member_client.get(reverse("okrs:home", args=[world.org.slug])).content.decode()
    for name in ("my_settings", "inbox", "blockers", "insights"):
        assert reverse(f"checkins:{name}", args=[world.org.slug]) in html
    nav = html[html.index('class="topbar__nav"') :]
    assert nav.index(inbox_url(world)) < nav.index(
        reverse("okrs:home", args=[world.org.slug]) + '"'
    )


# The organization's check-in day -------------------------------------------------------------


def test_an_admin_sets_the_check_in_weekday(world: World, admin_client: Client) -> None:
    url = reverse("orgs:settings", args=[world.org.slug])
    assert 'name="checkin_weekday"' in admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {
            "name": "Acme",
            "time_zone": "Europe/Berlin",
            "week_start": Weekday.MONDAY,
            "checkin_cadence": "weekly",
            "checkin_weekday": Weekday.THURSDAY,
            "default_language": "en",
        },
    )
    assert response.status_code == 302
    world.org.refresh_from_db()
    assert world.org.checkin_weekday == Weekday.THURSDAY
    assert services.default_next_up_due(world.org, TODAY) == dt.date(2026, 11, 12)


def test_the_service_rejects_a_weekday_out_of_range(world: World) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        org_services.update_organization(
            organization=world.org, actor=world.admin, checkin_weekday=7
        )
    assert "checkin_weekday" in error.value.error_dict


def test_team_blockers_are_those_on_my_teams_objectives_and_my_own_key_results(
    world: World, team_objective: Objective
) -> None:
    on_team = make_kr(world, team_objective, "Team's", owner=world.admin)
    elsewhere = platform_objective(world)
    mine_elsewhere = make_kr(world, elsewhere, "Mine on another team's", owner=world.member)
    theirs = make_kr(world, elsewhere, "Theirs", owner=world.admin)
    team_blocker = check_in(on_team, world.admin, blocker=True, text="team")
    my_kr_blocker = check_in(mine_elsewhere, world.admin, blocker=True, text="mine")
    check_in(theirs, world.admin, blocker=True, text="theirs")
    raised_by_me = check_in(on_team, world.member, blocker=True, text="by me")

    inbox = queries.inbox_for(world.member, TODAY)
    assert [row.check_in for row in inbox.team_blockers] == [team_blocker, my_kr_blocker]
    assert [row.check_in for row in inbox.my_blockers] == [raised_by_me]

    # Resolved, it leaves; the key result's other open blocker stays.
    services.resolve_blocker(check_in=team_blocker, actor=world.admin, how="Done")
    inbox = queries.inbox_for(world.member, TODAY)
    assert [row.check_in for row in inbox.team_blockers] == [my_kr_blocker]
    assert [row.check_in for row in inbox.my_blockers] == [raised_by_me]


def test_the_inbox_reads_my_key_results_and_missing_results_in_one_query(
    world: World, team_objective: Objective
) -> None:
    # Both lists come from one read of my key results; each keeps its own order and rule.
    first = make_kr(world, team_objective, "First", owner=world.member)
    second = make_kr(world, team_objective, "Second", owner=world.member)
    inbox = queries.inbox_for(world.member, TODAY)
    assert [row.key_result for row in inbox.rows] == [first, second]
    assert inbox.missing_results == []
    with time_machine.travel(dt.datetime(2026, 12, 24, 12, tzinfo=dt.UTC), tick=False):
        late = dt.date(2026, 12, 24)
        assert [item.key_result for item in queries.missing_results(world.member, late)] == [
            first,
            second,
        ]
        inbox = queries.inbox_for(world.member, late)
        assert [item.key_result for item in inbox.missing_results] == [first, second]
        assert [row.key_result for row in inbox.rows] == [first, second]


def test_after_a_check_in_from_the_inbox_only_its_key_results_are_read_again(
    world: World, team_objective: Objective
) -> None:
    mine = make_kr(world, team_objective, "Mine", owner=world.member)
    check_in(mine, world.admin, blocker=True, text="in the way")
    full = queries.inbox_for(world.member, TODAY)
    rows_only = queries.inbox_rows(world.member, TODAY)
    assert [row.key_result for row in rows_only.rows] == [row.key_result for row in full.rows]
    assert [row.due for row in rows_only.rows] == [row.due for row in full.rows]
    assert rows_only.window == full.window
    assert full.team_blockers and rows_only.team_blockers == []
