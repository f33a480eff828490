"""Writing check-ins. One transaction each: the check-in, its key result's roll-ups (value,
confidence, next up, context) and the history event land together or not at all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cairn.checkins.models import CheckIn, CheckInRevision, Outcome
from cairn.lib import rhythm
from cairn.notifications import webhooks
from cairn.okrs import closing
from cairn.okrs import progress as progress_maths
from cairn.okrs.models import KeyResult, KeyResultKind
from cairn.orgs import history
from cairn.orgs.access import can_edit_key_result
from cairn.orgs.models import Member, Organization

# An author may correct their own check-in for this long; the earlier text is kept.
CORRECTION_WINDOW = dt.timedelta(minutes=30)

TEXT_FIELDS = (
    "progress_comment",
    "confidence_needs",
    "confidence_mitigation",
    "next_up_plan",
    "reflection_learned",
    "context_why",
    "context_baseline",
    "context_tactic",
    "result_override_reason",
    "result_worked",
    "result_did_not_work",
    "result_learned",
)
REVISED_FIELDS = (
    *TEXT_FIELDS,
    "progress_value",
    "confidence",
    "next_up_due",
    "reflection_outcome",
    "is_insight",
    "is_blocker",
)


@dataclass(frozen=True)
class Progress:
    value: Decimal | int | float | bool
    comment: str = ""


@dataclass(frozen=True)
class Confidence:
    level: int
    needs: str = ""
    mitigation: str = ""


@dataclass(frozen=True)
class NextUp:
    plan: str
    due: dt.date | None = None


@dataclass(frozen=True)
class Reflection:
    outcome: str
    learned: str = ""


@dataclass(frozen=True)
class Context:
    why: str = ""
    baseline: str = ""
    tactic: str = ""


@dataclass(frozen=True)
class Result:
    """The Result of a key result near and after its period's end: the final value, the
    score (computed from progress unless `score` overrides it, with a reason) and a short
    retrospective."""

    value: Decimal | int | float | bool
    score: Decimal | float | str | None = None
    override_reason: str = ""
    worked: str = ""
    did_not_work: str = ""
    learned: str = ""


# Results open this many days before the period's last day (and stay open until it closes).
RESULT_WINDOW = dt.timedelta(days=14)


def results_open_on(period_end: dt.date) -> dt.date:
    """The first day a key result of a period ending on `period_end` asks for its Result."""
    return period_end - RESULT_WINDOW


def results_are_open(key_result: KeyResult, today: dt.date) -> bool:
    """Whether the key result asks for its Result on `today`: its period's result window has
    opened and its objective is not closed (read-only)."""
    objective = key_result.objective
    return objective.closed_at is None and today >= results_open_on(objective.period.end)


def computed_score(key_result: KeyResult, final: Decimal) -> Decimal:
    """The documented rule (okrs.progress.key_result_score) as a two-decimal Decimal."""
    score = progress_maths.key_result_score(
        start=float(key_result.start_value),
        target=float(key_result.target_value),
        final=float(final),
    )
    return Decimal(str(score)).quantize(Decimal("0.01"))


def org_today(organization: Organization) -> dt.date:
    """The organization's today (as `Organization.today`), for anything with a time zone."""
    return rhythm.local_date(timezone.now(), organization.time_zone)


def default_next_up_due(organization: Organization, today: dt.date | None = None) -> dt.date:
    """The next check-in day on the organization's cadence."""
    return rhythm.next_check_in_day(
        cadence=organization.checkin_cadence,
        week_start=organization.week_start,
        weekday=organization.checkin_weekday,
        today=today or org_today(organization),
    )


def current_next_up(key_result: KeyResult, before: dt.datetime | None = None) -> CheckIn | None:
    """The current Next Up (as of `before`): the latest live check-in with a Next Up, unless a
    later check-in already reflected on it without writing a new one. A new check-in's
    reflection is about this one; there is at most one reflection per Next Up."""
    live = CheckIn.objects.live().filter(key_result=key_result)
    if before is not None:
        live = live.filter(at__lte=before)
    # One query: the latest with a plan, and whether a later one reflected on it.
    latest = (
        live.exclude(next_up_plan="")
        .annotate(reflected=Exists(live.filter(reflects_on=OuterRef("pk"))))
        .order_by("-at", "-id")
        .first()
    )
    if latest is None or latest.reflected:  # type: ignore[attr-defined]
        return None
    return latest


def _progress_value(key_result: KeyResult, value: Decimal | int | float | bool) -> Decimal:
    if key_result.kind == KeyResultKind.MILESTONE and isinstance(value, bool):
        return Decimal(1) if value else Decimal(0)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"progress_value": _("Enter a number.")}) from exc
    if not number.is_finite():
        raise ValidationError({"progress_value": _("Enter a number.")})
    if key_result.kind == KeyResultKind.MILESTONE:
        # Compared as numbers: "1.0000" from a DecimalField is as done as 1.
        if number not in (Decimal(0), Decimal(1)):
            raise ValidationError({"progress_value": _("A milestone is done (1) or not (0).")})
        return Decimal(int(number))
    if key_result.kind == KeyResultKind.PERCENTAGE and not Decimal(0) <= number <= Decimal(100):
        raise ValidationError({"progress_value": _("A percentage is between 0 and 100.")})
    if abs(number) >= Decimal(10) ** 14:
        raise ValidationError({"progress_value": _("That number is too large.")})
    return number


@transaction.atomic
def record_check_in(
    *,
    key_result: KeyResult,
    author: Member,
    progress: Progress | None = None,
    confidence: Confidence | None = None,
    next_up: NextUp | None = None,
    reflection: Reflection | None = None,
    context: Context | None = None,
    result: Result | None = None,
    insight: bool = False,
    blocker: bool = False,
    at: dt.datetime | None = None,
) -> CheckIn:
    """Record a check-in with any of its sections (at least one), and roll it up onto the
    key result: current value, confidence, next-up due date, context."""
    if key_result.organization_id != author.organization_id:
        raise ValidationError(_("That key result is not in this organization."))
    if not author.can_write:
        raise ValidationError(_("Viewers have read-only access."))
    if not (progress or confidence or next_up or reflection or context or result):
        raise ValidationError(_("A check-in needs at least one section."))
    closing.ensure_key_result_open(key_result)
    # The caller's copy may be stale (read before this transaction began): counters and the
    # "newest check-in" decision are made on the row as it is now, locked for the update.
    callers_copy = key_result
    key_result = KeyResult.objects.select_for_update().get(pk=key_result.pk)
    # The author's, already loaded with them (the same organization: checked above).
    organization = author.organization
    check_in = CheckIn(
        organization_id=key_result.organization_id,
        key_result=key_result,
        author=author,
        at=at or timezone.now(),
        is_insight=insight,
        is_blocker=blocker,
    )
    # The organization's day of the check-in, not the server's: due dates are on its calendar,
    # and a check-in recorded for an earlier moment is due after that moment.
    day = rhythm.local_date(check_in.at, organization.time_zone)
    kr_fields: list[str] = []
    # Every section is checked before anything is saved, and all their errors are reported
    # at once: a person fixing a check-in should not discover its mistakes one by one.
    errors: dict[str, list[str]] = {}

    def section(check: Callable[[], None]) -> None:
        try:
            check()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)

    def check_progress() -> None:
        assert progress is not None
        check_in.progress_value = _progress_value(key_result, progress.value)
        check_in.progress_comment = progress.comment.strip()

    def check_confidence() -> None:
        assert confidence is not None
        level = confidence.level
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 10:
            raise ValidationError({"confidence": _("Confidence is a whole number from 0 to 10.")})
        check_in.confidence = confidence.level
        check_in.confidence_needs = confidence.needs.strip()
        check_in.confidence_mitigation = confidence.mitigation.strip()

    def check_next_up() -> None:
        assert next_up is not None
        plan = next_up.plan.strip()
        if not plan:
            raise ValidationError({"next_up_plan": _("Write what you will do, and how.")})
        check_in.next_up_plan = plan
        check_in.next_up_due = next_up.due or default_next_up_due(organization, today=day)
        if check_in.next_up_due < day:
            raise ValidationError({"next_up_due": _("Choose a due date from today on.")})

    def check_reflection() -> None:
        assert reflection is not None
        if reflection.outcome not in Outcome.values:
            raise ValidationError({"reflection_outcome": _("Choose done, partly or not done.")})
        previous = current_next_up(key_result, before=check_in.at)
        if previous is None:
            raise ValidationError(
                {"reflection_outcome": _("There is no earlier Next Up to reflect on.")}
            )
        check_in.reflects_on = previous
        check_in.reflection_outcome = reflection.outcome
        check_in.reflection_learned = reflection.learned.strip()

    def check_context() -> None:
        assert context is not None
        why, baseline, tactic = (
            context.why.strip(),
            context.baseline.strip(),
            context.tactic.strip(),
        )
        if not (why or baseline or tactic):
            raise ValidationError({"context_why": _("Say why this result matters.")})
        check_in.context_why, check_in.context_baseline, check_in.context_tactic = (
            why,
            baseline,
            tactic,
        )

    def check_result() -> None:
        assert result is not None
        period = callers_copy.objective.period
        if day < results_open_on(period.end):
            raise ValidationError(
                {
                    "result_value": _("Results open two weeks before the period ends, on %(day)s.")
                    % {"day": date_format(results_open_on(period.end))}
                }
            )
        try:
            final = _progress_value(key_result, result.value)
        except ValidationError as exc:
            raise ValidationError({"result_value": exc.message_dict["progress_value"]}) from exc
        if check_in.progress_value is not None and check_in.progress_value != final:
            raise ValidationError(
                {"result_value": _("The final value differs from the progress value.")}
            )
        check_in.result_value = final
        # The final value is also the latest value: the key result's progress ends there.
        check_in.progress_value = final
        score = computed_score(key_result, final)
        reason = result.override_reason.strip()
        if result.score is not None and str(result.score).strip() != "":
            try:
                override = Decimal(str(result.score))
                if not override.is_finite():
                    raise InvalidOperation
                override = override.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            except (InvalidOperation, ValueError) as exc:
                raise ValidationError(
                    {"result_score": _("Enter a score from 0.0 to 1.0.")}
                ) from exc
            if not Decimal(0) <= override <= Decimal(1):
                raise ValidationError({"result_score": _("Enter a score from 0.0 to 1.0.")})
            if override != score:
                if not can_edit_key_result(author, callers_copy):
                    raise ValidationError(
                        {"result_score": _("Only the key result's owner may override its score.")}
                    )
                if not reason:
                    raise ValidationError(
                        {
                            "result_override_reason": _("Say why the score differs from %(score)s.")
                            % {"score": score}
                        }
                    )
                check_in.result_score_overridden = True
                check_in.result_override_reason = reason
                score = override
        check_in.result_score = score
        check_in.result_worked = result.worked.strip()
        check_in.result_did_not_work = result.did_not_work.strip()
        check_in.result_learned = result.learned.strip()

    for given, check in (
        (progress, check_progress),
        (confidence, check_confidence),
        (next_up, check_next_up),
        (reflection, check_reflection),
        (context, check_context),
        (result, check_result),
    ):
        if given is not None:
            section(check)
    if errors:
        raise ValidationError(errors)
    check_in.save()
    webhooks.emit(
        organization=organization, event="check_in.created", subject=check_in, actor=author
    )
    if check_in.is_blocker:
        webhooks.emit(
            organization=organization, event="blocker.raised", subject=check_in, actor=author
        )

    if key_result.last_check_in_at is not None and check_in.at < key_result.last_check_in_at:
        # A check-in recorded for an earlier moment: later ones keep their say on the value,
        # confidence and next up, so the roll-ups are replayed rather than overwritten.
        _recompute_rollups(key_result)
        if check_in.has_context:
            _sync_context(key_result)
        _copy_rollups(key_result, callers_copy)
        return check_in
    if check_in.has_progress:
        key_result.current_value = check_in.progress_value  # type: ignore[assignment]
        kr_fields.append("current_value")
    if check_in.has_confidence:
        key_result.confidence = check_in.confidence
        kr_fields.append("confidence")
    if check_in.has_next_up:
        key_result.next_up_due = check_in.next_up_due
        kr_fields.append("next_up_due")
    elif check_in.has_reflection:
        # The reflected-on Next Up is done with; without a new one the result goes still.
        key_result.next_up_due = None
        kr_fields.append("next_up_due")
    if check_in.has_context:
        key_result.context_why = check_in.context_why
        key_result.context_baseline = check_in.context_baseline
        key_result.context_tactic = check_in.context_tactic
        key_result.context_outdated = False
        kr_fields += ["context_why", "context_baseline", "context_tactic", "context_outdated"]
    if check_in.has_result:
        key_result.score = check_in.result_score
        key_result.scored_at = check_in.at
        kr_fields += ["score", "scored_at"]
    if check_in.is_blocker:
        key_result.open_blockers += 1
        kr_fields.append("open_blockers")
    if key_result.last_check_in_at is None or check_in.at >= key_result.last_check_in_at:
        key_result.last_check_in_at = check_in.at
        kr_fields.append("last_check_in_at")
    key_result.save(update_fields=kr_fields)
    _copy_rollups(key_result, callers_copy)
    return check_in


ROLLUP_FIELDS = (
    "current_value",
    "confidence",
    "next_up_due",
    "last_check_in_at",
    "open_blockers",
    "context_why",
    "context_baseline",
    "context_tactic",
    "context_outdated",
    "score",
    "scored_at",
)


def _copy_rollups(source: KeyResult, target: KeyResult) -> None:
    """Keep the caller's key result in step with what was saved."""
    if target is not source:
        for name in ROLLUP_FIELDS:
            setattr(target, name, getattr(source, name))


def can_correct(check_in: CheckIn, member: Member, now: dt.datetime | None = None) -> bool:
    return (
        not check_in.is_deleted
        and check_in.author_id == member.pk
        and member.can_write
        and (now or timezone.now()) - check_in.at <= CORRECTION_WINDOW
    )


@transaction.atomic
def correct_check_in(*, check_in: CheckIn, editor: Member, **changes: Any) -> CheckIn:
    """The author fixes their own check-in within the correction window. The earlier text is
    kept as a revision; values that feed the key result's roll-ups are not correctable here
    (record a new check-in instead), only the words."""
    if not can_correct(check_in, editor):
        raise ValidationError(
            _("Only the author can correct a check-in, within %(minutes)d minutes.")
            % {"minutes": int(CORRECTION_WINDOW.total_seconds() // 60)}
        )
    unknown = set(changes) - set(TEXT_FIELDS)
    if unknown or not all(isinstance(value, str) for value in changes.values()):
        raise ValidationError(_("Only the text of a check-in can be corrected."))
    closing.ensure_key_result_open(check_in.key_result)
    before = {name: history.snapshot_value(getattr(check_in, name)) for name in REVISED_FIELDS}
    changed = [name for name, value in changes.items() if getattr(check_in, name) != value.strip()]
    if not changed:
        return check_in
    if before["next_up_plan"] and not changes.get("next_up_plan", "x").strip():
        raise ValidationError({"next_up_plan": _("A Next Up cannot be emptied; write a new one.")})
    if "result_override_reason" in changed:
        # An overridden score is explained (record_check_in's rule); a computed one needs none.
        reason = changes["result_override_reason"].strip()
        if check_in.result_score_overridden and not reason:
            raise ValidationError(
                {"result_override_reason": _("An overridden score keeps its reason.")}
            )
        if not check_in.result_score_overridden and reason:
            raise ValidationError(
                {"result_override_reason": _("The score was not overridden: there is no reason.")}
            )
    context_before = check_in.has_context
    for name in changed:
        setattr(check_in, name, changes[name].strip())
    if context_before and not check_in.has_context:
        raise ValidationError({"context_why": _("Say why this result matters.")})
    check_in.edited_at = timezone.now()
    check_in.save(update_fields=[*changed, "edited_at"])
    CheckInRevision.objects.create(
        organization_id=check_in.organization_id, check_in=check_in, editor=editor, before=before
    )
    if any(name.startswith("context_") for name in changed):
        _sync_context(check_in.key_result)
    return check_in


def _sync_context(key_result: KeyResult, removed: dict[str, Any] | None = None) -> None:
    """The key result's current Context is the one of its latest live Context check-in. With
    none left, a Context that came from the `removed` (deleted) check-in goes too; one written
    with the key result itself stays."""
    latest = (
        CheckIn.objects.live()
        .filter(key_result=key_result)
        .exclude(context_why="", context_baseline="", context_tactic="")
        .order_by("-at", "-id")
        .first()
    )
    if latest is None:
        fields = ("context_why", "context_baseline", "context_tactic")
        if removed and all(getattr(key_result, name) == removed[name] for name in fields):
            for name in fields:
                setattr(key_result, name, "")
            key_result.save(update_fields=list(fields))
        return
    key_result.context_why = latest.context_why
    key_result.context_baseline = latest.context_baseline
    key_result.context_tactic = latest.context_tactic
    key_result.save(update_fields=["context_why", "context_baseline", "context_tactic"])


def _recompute_rollups(key_result: KeyResult) -> None:
    """The key result's roll-ups replayed from its live check-ins, oldest first, by the same
    rules `record_check_in` applies one at a time (one query)."""
    value = key_result.start_value
    scale_from = key_result.scale_changed_at
    confidence: int | None = None
    next_up_due: dt.date | None = None
    last: dt.datetime | None = None
    score: Decimal | None = None
    scored_at: dt.datetime | None = None
    open_blockers = 0
    for check_in in CheckIn.objects.live().filter(key_result=key_result).order_by("at", "id"):
        on_this_scale = scale_from is None or check_in.at >= scale_from
        if check_in.has_progress and on_this_scale:
            value = check_in.progress_value  # type: ignore[assignment]
        if check_in.has_confidence:
            confidence = check_in.confidence
        if check_in.has_next_up:
            next_up_due = check_in.next_up_due
        elif check_in.has_reflection:
            next_up_due = None
        if check_in.is_open_blocker:
            open_blockers += 1
        if check_in.has_result and (
            key_result.score_reset_at is None or check_in.at >= key_result.score_reset_at
        ):
            score, scored_at = check_in.result_score, check_in.at
        last = check_in.at
    key_result.current_value = value
    key_result.confidence = confidence
    key_result.next_up_due = next_up_due
    key_result.last_check_in_at = last
    key_result.open_blockers = open_blockers
    key_result.score = score
    key_result.scored_at = scored_at
    key_result.save(
        update_fields=[
            "current_value",
            "confidence",
            "next_up_due",
            "last_check_in_at",
            "open_blockers",
            "score",
            "scored_at",
        ]
    )


@transaction.atomic
def delete_check_in(*, check_in: CheckIn, actor: Member, reason: str = "") -> CheckIn:
    """Admins delete a check-in by leaving a tombstone: the row stays, its text is cleared,
    and who deleted it when is shown in its place. The earlier text is kept as a revision,
    and the key result's roll-ups are recomputed without it."""
    if check_in.organization_id != actor.organization_id or not actor.is_admin:
        raise ValidationError(_("Only admins can delete a check-in."))
    if check_in.is_deleted:
        return check_in
    closing.ensure_key_result_open(check_in.key_result)
    before = {name: history.snapshot_value(getattr(check_in, name)) for name in REVISED_FIELDS}
    before["blocker_resolution"] = check_in.blocker_resolution
    CheckInRevision.objects.create(
        organization_id=check_in.organization_id, check_in=check_in, editor=actor, before=before
    )
    had_context = check_in.has_context
    # The tombstone keeps no words: every text field, the resolution note included.
    cleared = (*TEXT_FIELDS, "blocker_resolution")
    for name in cleared:
        setattr(check_in, name, "")
    check_in.deleted_at = timezone.now()
    check_in.deleted_by = actor
    check_in.save(update_fields=[*cleared, "deleted_at", "deleted_by"])
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.DELETED,
        target_kind="check_in",
        target_uid=check_in.uid,
        target_label=str(check_in.key_result),
        note=reason.strip(),
    )
    key_result = check_in.key_result
    _recompute_rollups(key_result)
    if had_context:
        _sync_context(key_result, removed=before)
    return check_in


@transaction.atomic
def resolve_blocker(
    *, check_in: CheckIn, actor: Member, how: str, at: dt.datetime | None = None
) -> CheckIn:
    """Close an open blocker, saying who resolved it, when and how. `at` is for the demo's
    history; everyone else resolves now."""
    if check_in.organization_id != actor.organization_id:
        raise ValidationError(_("That check-in is not in this organization."))
    if not check_in.is_open_blocker:
        raise ValidationError(_("This blocker is not open."))
    closing.ensure_key_result_open(check_in.key_result)
    if not actor.can_write:
        raise ValidationError(_("Viewers have read-only access."))
    how = how.strip()
    if not how:
        raise ValidationError({"how": _("Say how it was resolved.")})
    check_in.blocker_resolved_at = at or timezone.now()
    check_in.blocker_resolved_by = actor
    check_in.blocker_resolution = how
    check_in.save(
        update_fields=["blocker_resolved_at", "blocker_resolved_by", "blocker_resolution"]
    )
    _count_open_blockers(check_in.key_result)
    webhooks.emit(
        organization=actor.organization, event="blocker.resolved", subject=check_in, actor=actor
    )
    return check_in


def _count_open_blockers(key_result: KeyResult) -> None:
    key_result.open_blockers = CheckIn.objects.open_blockers().filter(key_result=key_result).count()
    key_result.save(update_fields=["open_blockers"])
