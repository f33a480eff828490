"""Writing check-ins (checkins/services.py): one transaction, roll-ups, history, blockers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cairn.checkins import services
from cairn.checkins.models import CheckIn, CheckInRevision
from cairn.checkins.services import Confidence, Context, NextUp, Progress, Reflection
from cairn.conftest import World
from cairn.okrs import services as okrs
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs.models import HistoryEvent

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 12, 10, 0, tzinfo=dt.UTC)  # a Thursday, Fridays are check-in days


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def record(key_result: KeyResult, world: World, **sections: object) -> CheckIn:
    return services.record_check_in(key_result=key_result, author=world.member, **sections)  # type: ignore[arg-type]


def fresh(key_result: KeyResult) -> KeyResult:
    return KeyResult.objects.get(pk=key_result.pk)


# One check-in, one transaction ----------------------------------------------------------


def test_a_check_in_updates_value_confidence_and_next_up(
    key_result: KeyResult, world: World
) -> None:
    check_in = record(
        key_result,
        world,
        progress=Progress(value=34_000, comment="Launch week."),
        confidence=Confidence(level=6, needs="Traffic", mitigation="Load test"),
        next_up=NextUp(plan="Ship onboarding, measure activation.", due=dt.date(2026, 11, 20)),
    )
    kr = fresh(key_result)
    assert kr.current_value == 34_000 and kr.confidence == 6
    assert kr.next_up_due == dt.date(2026, 11, 20)
    assert kr.last_check_in_at == check_in.at == NOW
    assert check_in.progress_comment == "Launch week."


def test_a_failing_section_leaves_nothing_saved(key_result: KeyResult, world: World) -> None:
    with pytest.raises(ValidationError):
        record(
            key_result,
            world,
            progress=Progress(value=50_000),
            confidence=Confidence(level=11),
        )
    assert not CheckIn.objects.exists()
    kr = fresh(key_result)
    assert kr.current_value == 0 and kr.confidence is None and kr.last_check_in_at is None


def test_the_check_in_and_its_roll_ups_roll_back_together(
    key_result: KeyResult, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If saving the key result fails after the check-in row was written, neither stays."""

    def broken_save(self: KeyResult, *args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(KeyResult, "save", broken_save)
    with pytest.raises(RuntimeError):
        record(key_result, world, progress=Progress(value=10))
    monkeypatch.undo()
    assert not CheckIn.objects.exists()


def test_at_least_one_section_is_required(key_result: KeyResult, world: World) -> None:
    with pytest.raises(ValidationError, match="at least one section"):
        record(key_result, world, insight=True)


def test_a_viewer_cannot_check_in(key_result: KeyResult, world: World) -> None:
    with pytest.raises(ValidationError):
        services.record_check_in(
            key_result=key_result, author=world.viewer, confidence=Confidence(level=5)
        )
    assert not CheckIn.objects.exists()


def test_a_key_result_of_another_organization_is_refused(
    key_result: KeyResult, world: World
) -> None:
    with pytest.raises(ValidationError, match="not in this organization"):
        services.record_check_in(
            key_result=key_result, author=world.outsider, confidence=Confidence(level=5)
        )
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("level", [-1, 11, True, 5.5])
def test_confidence_is_a_whole_number_from_0_to_10(
    key_result: KeyResult, world: World, level: object
) -> None:
    with pytest.raises(ValidationError):
        record(key_result, world, confidence=Confidence(level=level))  # type: ignore[arg-type]


# Progress by kind -----------------------------------------------------------------------


@pytest.fixture
def milestone(objective: Objective, world: World) -> KeyResult:
    return okrs.create_key_result(
        actor=world.member, objective=objective, title="Launch page live", kind="milestone"
    )


@pytest.fixture
def percentage(objective: Objective, world: World) -> KeyResult:
    return okrs.create_key_result(
        actor=world.member,
        objective=objective,
        title="Conversion",
        kind="percentage",
        start_value=0,
        target_value=5,
    )


@pytest.mark.parametrize(
    ("value", "stored"), [(True, 1), (False, 0), (1, 1), ("0", 0), (Decimal("1.0000"), 1)]
)
def test_a_milestone_is_done_or_not(
    milestone: KeyResult, world: World, value: object, stored: int
) -> None:
    record(milestone, world, progress=Progress(value=value))  # type: ignore[arg-type]
    assert fresh(milestone).current_value == stored
    assert fresh(milestone).is_done is bool(stored)


@pytest.mark.parametrize("value", [2, "0.5", -1, "done"])
def test_a_milestone_refuses_anything_else(
    milestone: KeyResult, world: World, value: object
) -> None:
    with pytest.raises(ValidationError):
        record(milestone, world, progress=Progress(value=value))  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "ok"), [(0, True), (100, True), (-0.1, False), (100.5, False)])
def test_a_percentage_is_between_0_and_100(
    percentage: KeyResult, world: World, value: float, ok: bool
) -> None:
    if ok:
        record(percentage, world, progress=Progress(value=value))
        assert fresh(percentage).current_value == Decimal(str(value))
    else:
        with pytest.raises(ValidationError, match="between 0 and 100"):
            record(percentage, world, progress=Progress(value=value))


@pytest.mark.parametrize("value", ["NaN", "Infinity", "abc", "1e15"])
def test_a_metric_needs_a_finite_number(key_result: KeyResult, world: World, value: str) -> None:
    with pytest.raises(ValidationError):
        record(key_result, world, progress=Progress(value=value))  # type: ignore[arg-type]


# Next Up and reflection -----------------------------------------------------------------


def test_next_up_is_due_on_the_next_check_in_day_by_default(
    key_result: KeyResult, world: World
) -> None:
    check_in = record(key_result, world, next_up=NextUp(plan="Call five detractors."))
    assert check_in.next_up_due == dt.date(2026, 11, 13)  # Friday, the org's check-in day


def test_next_up_defaults_follow_the_organizations_cadence_and_zone(
    key_result: KeyResult, world: World
) -> None:
    world.org.checkin_cadence = "biweekly"
    world.org.checkin_weekday = 0
    world.org.time_zone = "Pacific/Auckland"
    world.org.save()
    key_result = fresh(key_result)
    check_in = record(key_result, world, next_up=NextUp(plan="Plan."))
    expected = services.rhythm.next_check_in_day(
        cadence="biweekly", week_start=0, weekday=0, today=dt.date(2026, 11, 12)
    )
    assert check_in.next_up_due == expected and expected.weekday() == 0


def test_a_backdated_check_in_is_due_after_its_own_day(key_result: KeyResult, world: World) -> None:
    earlier = NOW - dt.timedelta(days=21)  # Thursday 22 October
    check_in = record(key_result, world, at=earlier, next_up=NextUp(plan="Plan."))
    assert check_in.next_up_due == dt.date(2026, 10, 23)


def test_a_next_up_cannot_be_due_in_the_past(key_result: KeyResult, world: World) -> None:
    with pytest.raises(ValidationError, match="from today on"):
        record(key_result, world, next_up=NextUp(plan="Plan.", due=dt.date(2026, 11, 11)))
    with pytest.raises(ValidationError):
        record(key_result, world, next_up=NextUp(plan="   "))


def test_a_reflection_links_to_the_previous_next_up(key_result: KeyResult, world: World) -> None:
    first = record(
        key_result, world, at=NOW - dt.timedelta(days=7), next_up=NextUp(plan="Ship it.")
    )
    second = record(
        key_result,
        world,
        reflection=Reflection(outcome="partly", learned="Half shipped."),
        next_up=NextUp(plan="Ship the rest."),
    )
    assert second.reflects_on == first
    assert second.reflection_outcome == "partly"
    assert fresh(key_result).next_up_due == second.next_up_due


def test_a_reflection_is_refused_without_an_earlier_next_up(
    key_result: KeyResult, world: World
) -> None:
    with pytest.raises(ValidationError, match="no earlier Next Up"):
        record(key_result, world, reflection=Reflection(outcome="done"))
    assert not CheckIn.objects.exists()


def test_a_next_up_is_reflected_on_once_and_then_the_key_result_is_still(
    key_result: KeyResult, world: World
) -> None:
    record(key_result, world, at=NOW - dt.timedelta(days=7), next_up=NextUp(plan="Ship it."))
    record(key_result, world, at=NOW - dt.timedelta(days=1), reflection=Reflection("not_done"))
    assert fresh(key_result).next_up_due is None
    with pytest.raises(ValidationError, match="no earlier Next Up"):
        record(key_result, world, reflection=Reflection(outcome="done"))


def test_a_reflection_outcome_must_be_known(key_result: KeyResult, world: World) -> None:
    record(key_result, world, next_up=NextUp(plan="Ship it."))
    with pytest.raises(ValidationError):
        record(key_result, world, reflection=Reflection(outcome="maybe"))


def test_a_backdated_check_in_does_not_override_later_ones(
    key_result: KeyResult, world: World
) -> None:
    record(key_result, world, progress=Progress(value=300), confidence=Confidence(level=8))
    record(
        key_result,
        world,
        at=NOW - dt.timedelta(days=7),
        progress=Progress(value=100),
        confidence=Confidence(level=3),
        blocker=True,
    )
    kr = fresh(key_result)
    assert kr.current_value == 300 and kr.confidence == 8 and kr.last_check_in_at == NOW
    assert kr.open_blockers == 1


# Context --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"target_value": 600_000},
        {"start_value": 1000},
        {"kind": "percentage", "target_value": 50},
        {"direction": "down", "start_value": 600_000},
        {"owner": "admin"},
    ],
)
def test_a_material_change_marks_the_context_out_of_date_until_a_new_one(
    key_result: KeyResult, world: World, change: dict[str, Any]
) -> None:
    record(key_result, world, context=Context(why="Proof of demand", baseline="0 DAU"))
    assert fresh(key_result).context_why == "Proof of demand"
    if change.get("owner") == "admin":
        change = {"owner": world.admin}
    okrs.update_key_result(key_result=fresh(key_result), actor=world.member, **change)
    assert fresh(key_result).context_outdated
    record(key_result, world, context=Context(tactic="Partner content first"))
    kr = fresh(key_result)
    assert not kr.context_outdated
    assert (kr.context_why, kr.context_tactic) == ("", "Partner content first")


def test_a_change_of_title_is_not_material(key_result: KeyResult, world: World) -> None:
    record(key_result, world, context=Context(why="Proof of demand"))
    okrs.update_key_result(key_result=fresh(key_result), actor=world.member, title="Reach 500k DAU")
    assert not fresh(key_result).context_outdated


def test_an_empty_context_is_refused(key_result: KeyResult, world: World) -> None:
    with pytest.raises(ValidationError):
        record(key_result, world, context=Context(why="  "))


# Corrections ----------------------------------------------------------------------------


def test_the_author_corrects_within_the_window_and_the_earlier_text_is_kept(
    key_result: KeyResult, world: World, frozen: time_machine.Traveller
) -> None:
    check_in = record(key_result, world, progress=Progress(value=10, comment="Lauch week"))
    frozen.shift(dt.timedelta(minutes=20))
    services.correct_check_in(
        check_in=check_in, editor=world.member, progress_comment="Launch week"
    )
    check_in.refresh_from_db()
    assert check_in.progress_comment == "Launch week" and check_in.edited_at is not None
    (revision,) = CheckInRevision.objects.filter(check_in=check_in)
    assert revision.before["progress_comment"] == "Lauch week"
    assert revision.editor == world.member


def test_a_correction_after_the_window_is_refused(
    key_result: KeyResult, world: World, frozen: time_machine.Traveller
) -> None:
    check_in = record(key_result, world, progress=Progress(value=10, comment="Typo"))
    frozen.shift(services.CORRECTION_WINDOW + dt.timedelta(seconds=1))
    with pytest.raises(ValidationError, match="Only the author"):
        services.correct_check_in(check_in=check_in, editor=world.member, progress_comment="x")
    assert not CheckInRevision.objects.exists()


def test_someone_else_cannot_correct(key_result: KeyResult, world: World) -> None:
    check_in = record(key_result, world, progress=Progress(value=10, comment="Typo"))
    for other in (world.admin, world.viewer, world.outsider):
        with pytest.raises(ValidationError):
            services.correct_check_in(check_in=check_in, editor=other, progress_comment="x")


def test_only_words_can_be_corrected(key_result: KeyResult, world: World) -> None:
    check_in = record(key_result, world, progress=Progress(value=10), next_up=NextUp(plan="A"))
    with pytest.raises(ValidationError):
        services.correct_check_in(check_in=check_in, editor=world.member, progress_value=20)
    with pytest.raises(ValidationError, match="cannot be emptied"):
        services.correct_check_in(check_in=check_in, editor=world.member, next_up_plan=" ")


def test_correcting_the_current_context_corrects_the_key_results(
    key_result: KeyResult, world: World
) -> None:
    check_in = record(key_result, world, context=Context(why="Prof of demand"))
    services.correct_check_in(check_in=check_in, editor=world.member, context_why="Proof of demand")
    assert fresh(key_result).context_why == "Proof of demand"


# Deletion -------------------------------------------------------------------------------


def test_an_admin_deletion_leaves_a_tombstone_and_recomputes_the_roll_ups(
    key_result: KeyResult, world: World
) -> None:
    first = record(
        key_result,
        world,
        at=NOW - dt.timedelta(days=7),
        progress=Progress(value=100),
        confidence=Confidence(level=7),
        next_up=NextUp(plan="First plan", due=dt.date(2026, 11, 13)),
    )
    second = record(
        key_result,
        world,
        progress=Progress(value=250, comment="Wrong numbers"),
        confidence=Confidence(level=3),
        next_up=NextUp(plan="Second plan", due=dt.date(2026, 11, 20)),
        blocker=True,
    )
    assert fresh(key_result).open_blockers == 1
    services.delete_check_in(check_in=second, actor=world.admin, reason="Wrong key result")
    second.refresh_from_db()
    assert second.is_deleted and second.deleted_by == world.admin
    assert second.progress_comment == "" and second.next_up_plan == ""
    assert CheckInRevision.objects.get(check_in=second).before["progress_comment"] == (
        "Wrong numbers"
    )
    assert HistoryEvent.objects.filter(target_uid=second.uid, action="deleted").exists()
    kr = fresh(key_result)
    assert kr.current_value == 100 and kr.confidence == 7
    assert kr.next_up_due == dt.date(2026, 11, 13) and kr.open_blockers == 0
    assert kr.last_check_in_at == first.at
    services.delete_check_in(check_in=first, actor=world.admin)
    kr = fresh(key_result)
    assert kr.current_value == kr.start_value and kr.confidence is None
    assert kr.next_up_due is None and kr.last_check_in_at is None


def test_only_an_admin_of_the_organization_deletes(key_result: KeyResult, world: World) -> None:
    check_in = record(key_result, world, confidence=Confidence(level=5))
    for actor in (world.member, world.viewer, world.outsider):
        with pytest.raises(ValidationError):
            services.delete_check_in(check_in=check_in, actor=actor)
    check_in.refresh_from_db()
    assert not check_in.is_deleted


def test_deleting_the_only_context_check_in_removes_its_context(
    key_result: KeyResult, world: World
) -> None:
    check_in = record(key_result, world, context=Context(why="Secret reasons"))
    services.delete_check_in(check_in=check_in, actor=world.admin)
    assert fresh(key_result).context_why == ""


# Blockers -------------------------------------------------------------------------------


def test_resolving_a_blocker_records_who_when_and_how(key_result: KeyResult, world: World) -> None:
    blocker = record(key_result, world, confidence=Confidence(level=3), blocker=True)
    other = record(key_result, world, confidence=Confidence(level=3), blocker=True)
    assert fresh(key_result).open_blockers == 2
    services.resolve_blocker(check_in=blocker, actor=world.admin, how="Contract signed.")
    blocker.refresh_from_db()
    assert blocker.blocker_resolved_by == world.admin
    assert blocker.blocker_resolved_at == NOW
    assert blocker.blocker_resolution == "Contract signed."
    assert fresh(key_result).open_blockers == 1
    assert list(CheckIn.objects.open_blockers()) == [other]
    with pytest.raises(ValidationError, match="not open"):
        services.resolve_blocker(check_in=blocker, actor=world.admin, how="Again")


def test_a_blocker_needs_a_resolution_and_a_writer_of_the_organization(
    key_result: KeyResult, world: World
) -> None:
    blocker = record(key_result, world, confidence=Confidence(level=3), blocker=True)
    with pytest.raises(ValidationError):
        services.resolve_blocker(check_in=blocker, actor=world.member, how="  ")
    for actor in (world.viewer, world.outsider):
        with pytest.raises(ValidationError):
            services.resolve_blocker(check_in=blocker, actor=actor, how="Done")
    assert fresh(key_result).open_blockers == 1


# Visibility -----------------------------------------------------------------------------


def test_check_ins_of_a_private_key_result_are_hidden_from_those_who_may_not_see_it(
    private_objective: Objective, key_result: KeyResult, world: World
) -> None:
    secret = okrs.create_key_result(
        actor=world.admin, objective=private_objective, title="Secret", target_value=10
    )
    hidden = services.record_check_in(
        key_result=secret, author=world.admin, confidence=Confidence(level=5)
    )
    shown = record(key_result, world, confidence=Confidence(level=5))
    assert list(CheckIn.objects.visible_to(world.member)) == [shown]
    assert list(CheckIn.objects.visible_to(world.viewer)) == [shown]
    assert set(CheckIn.objects.visible_to(world.admin)) == {shown, hidden}
    assert not CheckIn.objects.visible_to(world.outsider).exists()


def test_a_deleted_resolved_blocker_keeps_no_words_but_its_revision_does(
    key_result: KeyResult, world: World
) -> None:
    blocker = record(
        key_result,
        world,
        progress=Progress(value=10, comment="Waiting on legal."),
        blocker=True,
    )
    services.resolve_blocker(check_in=blocker, actor=world.admin, how="Contract signed.")
    services.delete_check_in(check_in=blocker, actor=world.admin, reason="Wrong key result")
    blocker.refresh_from_db()
    assert (blocker.progress_comment, blocker.blocker_resolution) == ("", "")
    [revision] = CheckInRevision.objects.filter(check_in=blocker)
    assert revision.before["blocker_resolution"] == "Contract signed."
    assert revision.before["progress_comment"] == "Waiting on legal."


def test_every_invalid_section_is_reported_at_once(key_result: KeyResult, world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        record(
            key_result,
            world,
            progress=Progress(value="lots"),
            confidence=Confidence(level=11),
            next_up=NextUp(plan="  "),
        )
    assert set(caught.value.message_dict) == {"progress_value", "confidence", "next_up_plan"}
    assert not CheckIn.objects.filter(key_result=key_result).exists()
