"""The Result of a key result at the end of its period: the service's rules, the check-in form's
Result section, how a result reads on the key result page and the objective's stream, and the
inbox's "Missing results"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cairn.checkins import queries, services
from cairn.checkins.models import CheckIn
from cairn.checkins.services import Progress, Result
from cairn.conftest import World
from cairn.okrs import services as okr_services
from cairn.okrs.closing import PeriodClosed
from cairn.okrs.models import KeyResult, KeyResultKind, Objective
from cairn.orgs.models import Member, PeriodState
from cairn.testing.factories import KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

# The fixture period (2026 Q4) ends on 31 December: results open on 17 December.
OPENS = dt.date(2026, 12, 17)
NOW = dt.datetime(2026, 12, 20, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
BEFORE_THE_WINDOW = dt.datetime(2026, 12, 16, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def fresh(key_result: KeyResult) -> KeyResult:
    return KeyResult.objects.get(pk=key_result.pk)


def result(
    key_result: KeyResult,
    author: Member,
    value: Decimal | int | float | bool,
    *,
    at: dt.datetime | None = None,
    **fields: str | float | None,
) -> CheckIn:
    return services.record_check_in(
        key_result=key_result,
        author=author,
        result=Result(value=value, **fields),  # type: ignore[arg-type]
        at=at,
    )


@pytest.fixture
def platform_kr(world: World) -> KeyResult:
    """A public key result of the Platform team's objective, owned by Ada: the member can see
    it and check in on it, but may not edit it (nor override its score)."""
    objective = okr_services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Scale the platform",
        owner_teams=[world.other_team],
    )
    return okr_services.create_key_result(
        actor=world.admin,
        objective=objective,
        title="Serve 10,000 requests a second",
        start_value=0,
        target_value=10_000,
        owner=world.admin,
    )


def close(objective: Objective) -> None:
    Objective.objects.filter(pk=objective.pk).update(closed_at=timezone.now())


# The window ---------------------------------------------------------------------------------


def test_results_open_two_weeks_before_the_period_ends() -> None:
    assert services.results_open_on(dt.date(2026, 12, 31)) == OPENS


def test_it_refuses_a_result_before_the_window_opens(key_result: KeyResult, world: World) -> None:
    with (
        time_machine.travel(BEFORE_THE_WINDOW, tick=False),
        pytest.raises(ValidationError) as error,
    ):
        result(key_result, world.member, 350_000)
    assert "result_value" in error.value.message_dict
    assert fresh(key_result).score is None and not CheckIn.objects.exists()


def test_it_accepts_a_result_on_the_first_day_of_the_window(
    key_result: KeyResult, world: World
) -> None:
    with time_machine.travel(dt.datetime(2026, 12, 17, 0, 30, tzinfo=dt.UTC), tick=False):
        result(key_result, world.member, 350_000)
    assert fresh(key_result).score == Decimal("0.70")


def test_it_accepts_a_result_after_the_period_ended_until_it_closes(
    key_result: KeyResult, world: World
) -> None:
    with time_machine.travel(dt.datetime(2027, 1, 8, 9, 0, tzinfo=dt.UTC), tick=False):
        result(key_result, world.member, 500_000)
    assert fresh(key_result).score == Decimal("1.00")


def test_a_closed_objective_refuses_its_result(key_result: KeyResult, world: World) -> None:
    close(key_result.objective)
    key_result = fresh(key_result)
    with pytest.raises(PeriodClosed):
        result(key_result, world.member, 350_000)


def test_a_viewer_cannot_record_a_result(key_result: KeyResult, world: World) -> None:
    with pytest.raises(ValidationError):
        result(key_result, world.viewer, 350_000)


# The score ----------------------------------------------------------------------------------


def test_a_result_scores_progress_at_the_final_value_and_becomes_the_current_value(
    key_result: KeyResult, world: World
) -> None:
    check_in = result(key_result, world.member, 347_500, worked="Referrals", learned="Start early")

    kr = fresh(key_result)
    assert check_in.result_score == Decimal("0.70") and not check_in.result_score_overridden
    assert check_in.result_value == check_in.progress_value == 347_500
    assert kr.score == Decimal("0.70") and kr.scored_at == NOW
    assert kr.current_value == 347_500
    assert check_in.result_worked == "Referrals" and check_in.result_learned == "Start early"


def test_a_milestone_scores_one_when_done(world: World, objective: Objective) -> None:
    milestone = okr_services.create_key_result(
        actor=world.member,
        objective=objective,
        title="Open the Berlin office",
        kind=KeyResultKind.MILESTONE,
    )
    result(milestone, world.member, True)
    assert fresh(milestone).score == Decimal("1.00")


def test_the_owner_overrides_the_score_with_a_reason(key_result: KeyResult, world: World) -> None:
    check_in = result(
        key_result, world.member, 350_000, score=0.8, override_reason="Signed after the freeze."
    )
    assert check_in.result_score == Decimal("0.80") and check_in.result_score_overridden
    assert check_in.result_override_reason == "Signed after the freeze."
    assert fresh(key_result).score == Decimal("0.80")


def test_an_override_needs_a_reason(key_result: KeyResult, world: World) -> None:
    with pytest.raises(ValidationError) as error:
        result(key_result, world.member, 350_000, score=0.8, override_reason="  ")
    assert "result_override_reason" in error.value.message_dict
    assert "0.70" in error.value.message_dict["result_override_reason"][0]
    assert fresh(key_result).score is None


def test_a_score_equal_to_the_computed_one_is_no_override(
    key_result: KeyResult, world: World
) -> None:
    check_in = result(key_result, world.member, 350_000, score="0.70")
    assert not check_in.result_score_overridden and check_in.result_override_reason == ""


@pytest.mark.parametrize("score", [1.5, -0.1, "high"])
def test_an_override_is_a_score_from_zero_to_one(
    key_result: KeyResult, world: World, score: float | str
) -> None:
    with pytest.raises(ValidationError) as error:
        result(key_result, world.member, 350_000, score=score, override_reason="Because")
    assert "result_score" in error.value.message_dict


def test_only_who_may_edit_the_key_result_overrides_its_score(
    platform_kr: KeyResult, world: World
) -> None:
    with pytest.raises(ValidationError) as error:
        result(platform_kr, world.member, 5_000, score=0.9, override_reason="I think so")
    assert "result_score" in error.value.message_dict
    # Without an override the member may record the result: a check-in is a contribution.
    result(platform_kr, world.member, 5_000)
    assert fresh(platform_kr).score == Decimal("0.50")


def test_the_final_value_must_match_the_progress_value_sent_with_it(
    key_result: KeyResult, world: World
) -> None:
    with pytest.raises(ValidationError) as error:
        services.record_check_in(
            key_result=key_result,
            author=world.member,
            progress=Progress(value=300_000),
            result=Result(value=350_000),
        )
    assert "result_value" in error.value.message_dict


def test_the_latest_result_wins(key_result: KeyResult, world: World) -> None:
    result(key_result, world.member, 250_000, at=NOW - dt.timedelta(hours=2))
    result(key_result, world.member, 400_000)
    kr = fresh(key_result)
    assert kr.score == Decimal("0.80") and kr.scored_at == NOW


def test_a_backdated_result_does_not_replace_a_later_one(
    key_result: KeyResult, world: World
) -> None:
    result(key_result, world.member, 400_000)
    result(key_result, world.member, 250_000, at=NOW - dt.timedelta(hours=2))
    assert fresh(key_result).score == Decimal("0.80")


def test_deleting_the_latest_result_replays_the_score_of_the_one_before(
    key_result: KeyResult, world: World
) -> None:
    result(key_result, world.member, 250_000, at=NOW - dt.timedelta(hours=2))
    latest = result(key_result, world.member, 400_000)

    services.delete_check_in(check_in=latest, actor=world.admin, reason="Wrong number")

    kr = fresh(key_result)
    assert kr.score == Decimal("0.50") and kr.scored_at == NOW - dt.timedelta(hours=2)
    assert kr.current_value == 250_000


def test_deleting_the_only_result_leaves_the_key_result_unscored(
    key_result: KeyResult, world: World
) -> None:
    services.record_check_in(
        key_result=key_result,
        author=world.member,
        progress=Progress(value=100_000),
        at=NOW - dt.timedelta(days=3),
    )
    only = result(key_result, world.member, 350_000)

    services.delete_check_in(check_in=only, actor=world.admin, reason="Too early")

    kr = fresh(key_result)
    assert kr.score is None and kr.scored_at is None
    assert kr.current_value == 100_000


# Correcting a result's words ----------------------------------------------------------------


def test_the_author_corrects_the_retrospective_within_the_window(
    key_result: KeyResult, world: World
) -> None:
    check_in = result(key_result, world.member, 350_000, worked="Referals")
    services.correct_check_in(check_in=check_in, editor=world.member, result_worked="Referrals")
    check_in.refresh_from_db()
    assert check_in.result_worked == "Referrals" and check_in.edited_at is not None
    assert check_in.revisions.get().before["result_worked"] == "Referals"


def test_an_overridden_score_keeps_its_reason(key_result: KeyResult, world: World) -> None:
    check_in = result(key_result, world.member, 350_000, score=0.8, override_reason="Late deals")
    with pytest.raises(ValidationError) as error:
        services.correct_check_in(
            check_in=check_in, editor=world.member, result_override_reason=" "
        )
    assert "result_override_reason" in error.value.message_dict


def test_a_computed_score_takes_no_override_reason_by_correction(
    key_result: KeyResult, world: World
) -> None:
    check_in = result(key_result, world.member, 350_000)
    with pytest.raises(ValidationError):
        services.correct_check_in(
            check_in=check_in, editor=world.member, result_override_reason="Because"
        )


def test_correcting_a_result_check_in_in_the_page(
    key_result: KeyResult, world: World, member_client: Client
) -> None:
    check_in = result(key_result, world.member, 350_000, learned="Start eraly")
    url = reverse("checkins:check_in_correct", args=["acme", check_in.uid])

    form = member_client.get(url).content.decode()
    assert 'name="result_learned"' in form and 'name="result_override_reason"' not in form
    response = member_client.post(
        url,
        {
            "result_worked": "",
            "result_did_not_work": "",
            "result_learned": "Start early",
        },
    )

    assert response.status_code == 302
    check_in.refresh_from_db()
    assert check_in.result_learned == "Start early"
    page = member_client.get(key_result_url(key_result)).content.decode()
    assert "Result: what we learned" in page  # the earlier text, labelled


# The check-in form --------------------------------------------------------------------------


def form_url(key_result: KeyResult) -> str:
    return reverse("checkins:check_in_new", args=["acme", key_result.uid])


def key_result_url(key_result: KeyResult) -> str:
    return reverse("checkins:key_result", args=["acme", key_result.uid])


def test_the_form_offers_the_owner_a_result_with_an_override_in_the_window(
    key_result: KeyResult, member_client: Client
) -> None:
    html = member_client.get(form_url(key_result)).content.decode()
    assert 'name="result_value"' in html and 'name="result_score"' in html
    assert 'name="result_override_reason"' in html and 'name="result_learned"' in html
    assert "Score = progress at the final value, 0.0\u20131.0." in html


def test_the_form_has_no_result_section_before_the_window(
    key_result: KeyResult, member_client: Client
) -> None:
    with time_machine.travel(BEFORE_THE_WINDOW, tick=False):
        html = member_client.get(form_url(key_result)).content.decode()
    assert 'name="progress_value"' in html and 'name="result_value"' not in html


def test_the_form_has_no_result_section_on_a_closed_objective(
    key_result: KeyResult, member_client: Client
) -> None:
    close(key_result.objective)
    html = member_client.get(form_url(key_result)).content.decode()
    assert 'name="result_value"' not in html


def test_a_member_who_cannot_edit_the_key_result_is_not_offered_the_override(
    platform_kr: KeyResult, member_client: Client
) -> None:
    html = member_client.get(form_url(platform_kr)).content.decode()
    assert 'name="result_value"' in html
    assert 'name="result_score"' not in html and 'name="result_override_reason"' not in html


def test_a_posted_override_from_a_member_who_cannot_edit_is_refused(
    platform_kr: KeyResult, member_client: Client
) -> None:
    response = member_client.post(
        form_url(platform_kr),
        {"result_value": "5000", "result_score": "0.9", "result_override_reason": "I say so"},
    )
    assert response.status_code == 200
    assert "Only the key result&#x27;s owner may override its score." in response.content.decode()
    assert not CheckIn.objects.exists() and fresh(platform_kr).score is None


def test_the_owner_records_a_result_with_an_override_from_the_form(
    key_result: KeyResult, member_client: Client
) -> None:
    response = member_client.post(
        form_url(key_result),
        {
            "result_value": "350000",
            "result_score": "0.8",
            "result_override_reason": "Late deals count",
            "result_worked": "Referrals",
            "result_did_not_work": "Ads",
            "result_learned": "Start early",
        },
    )
    assert response.status_code == 302
    check_in = CheckIn.objects.get()
    assert check_in.result_score == Decimal("0.80") and check_in.result_score_overridden
    assert check_in.result_did_not_work == "Ads"
    assert fresh(key_result).score == Decimal("0.80")


def test_the_form_shows_the_missing_reason_next_to_its_field(
    key_result: KeyResult, member_client: Client
) -> None:
    response = member_client.post(
        form_url(key_result), {"result_value": "350000", "result_score": "0.8"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Say why the score differs from 0.70." in html
    assert not CheckIn.objects.exists()


def test_a_retrospective_without_a_final_value_asks_for_it(
    key_result: KeyResult, member_client: Client
) -> None:
    response = member_client.post(form_url(key_result), {"result_learned": "Lots"})
    assert response.status_code == 200
    assert "Enter the final value for this result." in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_milestone_result_from_the_form(
    world: World, objective: Objective, member_client: Client
) -> None:
    milestone = okr_services.create_key_result(
        actor=world.member,
        objective=objective,
        title="Open the Berlin office",
        kind=KeyResultKind.MILESTONE,
    )
    response = member_client.post(form_url(milestone), {"result_value": "1"})
    assert response.status_code == 302
    assert fresh(milestone).score == Decimal("1.00") and fresh(milestone).is_done


def test_a_plain_check_in_in_the_window_stays_a_progress_check_in(
    key_result: KeyResult, member_client: Client
) -> None:
    response = member_client.post(form_url(key_result), {"progress_value": "120000"})
    assert response.status_code == 302
    assert not CheckIn.objects.get().has_result and fresh(key_result).score is None


def test_the_check_in_form_is_a_404_for_an_outsider_and_a_403_for_a_viewer(
    key_result: KeyResult, outsider_client: Client, viewer_client: Client
) -> None:
    assert outsider_client.get(form_url(key_result)).status_code == 404
    assert outsider_client.post(form_url(key_result), {"result_value": "1"}).status_code == 404
    assert viewer_client.post(form_url(key_result), {"result_value": "1"}).status_code == 403
    assert not CheckIn.objects.exists()


# Reading a result ---------------------------------------------------------------------------


def test_the_key_result_page_shows_the_result_its_override_and_retrospective(
    key_result: KeyResult, world: World, member_client: Client
) -> None:
    result(
        key_result,
        world.member,
        350_000,
        score=0.8,
        override_reason="Late deals count",
        worked="Referrals",
        did_not_work="Ads",
        learned="Start early",
    )
    html = member_client.get(key_result_url(key_result)).content.decode()
    assert "Score 0.80" in html and "overridden: Late deals count" in html
    assert "Referrals" in html and "Ads" in html and "Start early" in html


def test_the_objective_stream_shows_a_result_with_its_score(
    key_result: KeyResult, world: World, member_client: Client
) -> None:
    result(key_result, world.member, 350_000, learned="Start early")
    url = reverse("checkins:objective_check_ins", args=["acme", key_result.objective.uid])
    html = member_client.get(url).content.decode()
    assert 'data-score="0.70"' in html and "Start early" in html


# Missing results in the inbox ---------------------------------------------------------------


@pytest.fixture
def team_objective(world: World) -> Objective:
    """The Product team's objective, without key results yet (whose owners the tests pick)."""
    return okr_services.create_objective(
        actor=world.admin, period=world.period, title="Team goal", owner_teams=[world.team]
    )


def test_the_inbox_lists_my_key_results_without_a_result_in_the_window(
    world: World, team_objective: Objective
) -> None:
    mine = okr_services.create_key_result(
        actor=world.admin,
        objective=team_objective,
        title="Mine",
        start_value=0,
        target_value=10,
        owner=world.member,
    )
    okr_services.create_key_result(
        actor=world.admin,
        objective=team_objective,
        title="Ada's",
        start_value=0,
        target_value=10,
        owner=world.admin,
    )
    personal = okr_services.create_objective(
        actor=world.member, period=world.period, title="Personal", owner_person=world.member
    )
    unowned = okr_services.create_key_result(
        actor=world.member, objective=personal, title="Nobody's", start_value=0, target_value=5
    )

    missing = queries.inbox_for(world.member, TODAY).missing_results

    assert {item.key_result.title for item in missing} == {mine.title, unowned.title}
    assert not missing[0].period_ended and missing[0].period_end == dt.date(2026, 12, 31)


def test_a_scored_key_result_is_no_longer_missing(world: World, team_objective: Objective) -> None:
    kr = okr_services.create_key_result(
        actor=world.admin,
        objective=team_objective,
        title="Mine",
        start_value=0,
        target_value=10,
        owner=world.member,
    )
    result(kr, world.member, 7)
    assert queries.inbox_for(world.member, TODAY).missing_results == []


def test_no_result_is_missing_before_the_window_or_on_a_closed_objective(
    world: World, team_objective: Objective
) -> None:
    okr_services.create_key_result(
        actor=world.admin,
        objective=team_objective,
        title="Mine",
        start_value=0,
        target_value=10,
        owner=world.member,
    )
    assert queries.missing_results(world.member, OPENS - dt.timedelta(days=1)) == []
    assert len(queries.missing_results(world.member, OPENS)) == 1
    close(team_objective)
    assert queries.missing_results(world.member, TODAY) == []


def test_no_result_is_missing_in_a_closed_period(world: World, team_objective: Objective) -> None:
    okr_services.create_key_result(
        actor=world.admin,
        objective=team_objective,
        title="Mine",
        start_value=0,
        target_value=10,
        owner=world.member,
    )
    world.period.state = PeriodState.CLOSED
    world.period.save(update_fields=["state"])
    assert queries.missing_results(world.member, TODAY) == []


def test_a_result_is_missing_after_the_period_ended_until_it_closes(
    world: World, team_objective: Objective
) -> None:
    okr_services.create_key_result(
        actor=world.admin,
        objective=team_objective,
        title="Mine",
        start_value=0,
        target_value=10,
        owner=world.member,
    )
    [item] = queries.missing_results(world.member, dt.date(2027, 1, 10))
    assert item.period_ended


def test_a_key_result_i_own_in_an_objective_i_may_not_see_is_not_missing(
    world: World, member_client: Client
) -> None:
    hidden = ObjectiveFactory(
        period=world.period,
        owner_person=world.admin,
        visibility="private",
        title="PRIVATE-MARKER objective",
    )
    KeyResultFactory(objective=hidden, owner=world.member, title="PRIVATE-MARKER kr")
    assert queries.missing_results(world.member, TODAY) == []
    inbox = member_client.get(reverse("checkins:inbox", args=["acme"])).content.decode()
    assert "PRIVATE-MARKER" not in inbox
    # Once the objective is shared with the member, it is theirs to score.
    hidden.shared_with.add(world.member)
    assert len(queries.missing_results(world.member, TODAY)) == 1


def test_the_inbox_page_links_each_missing_result_to_the_check_in_form(
    world: World, team_objective: Objective, member_client: Client
) -> None:
    kr = okr_services.create_key_result(
        actor=world.admin,
        objective=team_objective,
        title="Mine",
        start_value=0,
        target_value=10,
        owner=world.member,
    )
    html = member_client.get(reverse("checkins:inbox", args=["acme"])).content.decode()
    assert "Missing results" in html and form_url(kr) in html


def test_the_inbox_reads_missing_results_in_a_constant_number_of_queries(
    world: World, team_objective: Objective, member_client: Client
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            okr_services.create_key_result(
                actor=world.admin,
                objective=team_objective,
                title=f"KR {KeyResult.objects.count()} {i}",
                start_value=0,
                target_value=10,
                owner=world.member,
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert member_client.get(reverse("checkins:inbox", args=["acme"])).status_code == 200
        return len(ctx.captured_queries)

    add(2)
    small = count()
    add(5)
    assert count() == small
