"""What a reminder and a digest say: reads built only from what the recipient may see."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.text import Truncator

from cairn.checkins.models import CheckIn
from cairn.checkins.queries import my_key_results, staleness_of
from cairn.lib import rhythm
from cairn.notifications import emails
from cairn.okrs.models import KeyResult
from cairn.okrs.queries import STALENESS_LABELS, team_key_results
from cairn.orgs.models import Member, Organization, PeriodState, Team

# Reminders go out on the check-in day of the window, and digests on the first day of the
# week, from this hour in the organization's time zone: not at midnight, and early enough
# that people can still check in that day.
SEND_HOUR = 9
NOTE_LENGTH = 280


class DueReason(enum.StrEnum):
    CHECK_IN = "check_in"
    NO_NEXT_UP = "no_next_up"
    NEXT_UP_OVERDUE = "next_up_overdue"


@dataclass(frozen=True)
class KeyResultLine:
    uid: uuid.UUID
    title: str
    objective_title: str
    url: str


@dataclass(frozen=True)
class DueKeyResult:
    key_result: KeyResultLine
    staleness: rhythm.Staleness
    reasons: tuple[DueReason, ...]
    next_up_due: dt.date | None
    last_check_in: dt.datetime | None

    @property
    def staleness_label(self) -> str:
        return str(STALENESS_LABELS[self.staleness])

    @property
    def needs_check_in(self) -> bool:
        return DueReason.CHECK_IN in self.reasons

    @property
    def has_no_next_up(self) -> bool:
        return DueReason.NO_NEXT_UP in self.reasons

    @property
    def next_up_overdue(self) -> bool:
        return DueReason.NEXT_UP_OVERDUE in self.reasons


@dataclass(frozen=True)
class CheckInNote:
    """A blocker or an insight, as a line of an e-mail."""

    key_result: KeyResultLine
    at: dt.datetime
    author: str
    text: str
    is_open: bool


@dataclass(frozen=True)
class MemberReminder:
    member_id: int
    window_start: dt.date
    window_end: dt.date
    check_in_day: dt.date
    due: tuple[DueKeyResult, ...]
    blockers: tuple[CheckInNote, ...]
    inbox_url: str

    @property
    def is_empty(self) -> bool:
        return not (self.due or self.blockers)


@dataclass(frozen=True)
class ValueMove:
    key_result: KeyResultLine
    before: Decimal
    after: Decimal
    unit: str


@dataclass(frozen=True)
class ConfidenceChange:
    key_result: KeyResultLine
    before: int | None
    after: int

    @property
    def band(self) -> rhythm.Band:
        return rhythm.band(self.after)

    @property
    def went_up(self) -> bool:
        return self.before is not None and self.after > self.before


@dataclass(frozen=True)
class StaleKeyResult:
    key_result: KeyResultLine
    staleness: rhythm.Staleness
    last_check_in: dt.datetime | None

    @property
    def staleness_label(self) -> str:
        return str(STALENESS_LABELS[self.staleness])


@dataclass(frozen=True)
class TeamDigest:
    team_uid: uuid.UUID
    team_name: str
    team_url: str
    moved: tuple[ValueMove, ...]
    confidence: tuple[ConfidenceChange, ...]
    blockers: tuple[CheckInNote, ...]
    insights: tuple[CheckInNote, ...]
    stale: tuple[StaleKeyResult, ...]
    dead: tuple[StaleKeyResult, ...]

    @property
    def is_empty(self) -> bool:
        return (
            not (self.moved or self.confidence or self.blockers or self.insights or self.stale)
            and not self.dead
        )


@dataclass(frozen=True)
class Digest:
    member_id: int
    week_start: dt.date
    # The week reported on: [since, until), the week before `week_start`.
    since: dt.date
    until: dt.date
    teams: tuple[TeamDigest, ...]
    inbox_url: str

    @property
    def is_empty(self) -> bool:
        return all(team.is_empty for team in self.teams)


def _url(name: str, **kwargs: Any) -> str:
    return emails.absolute_url(reverse(name, kwargs=kwargs))


def inbox_url(organization: Organization) -> str:
    return _url("checkins:inbox", org=organization.slug)


def settings_url(organization: Organization) -> str:
    """Where a person turns reminder e-mails off."""
    return _url("checkins:my_settings", org=organization.slug)


def _line(key_result: KeyResult, organization: Organization) -> KeyResultLine:
    return KeyResultLine(
        uid=key_result.uid,
        title=key_result.title,
        objective_title=key_result.objective.title,
        url=_url("checkins:key_result", org=organization.slug, key_result=key_result.uid),
    )


def _note_text(check_in: CheckIn, *, insight: bool = False) -> str:
    # An insight is what was learned; a blocker is what is in the way.
    learned = (check_in.reflection_learned, check_in.progress_comment)
    in_the_way = (check_in.confidence_needs, check_in.progress_comment)
    rest = (
        check_in.next_up_plan,
        check_in.confidence_mitigation,
        check_in.context_why,
        check_in.reflection_learned,
        check_in.confidence_needs,
    )
    for text in (*(learned if insight else in_the_way), *rest):
        if text:
            return Truncator(" ".join(text.split())).chars(NOTE_LENGTH)
    return ""


def _note(check_in: CheckIn, organization: Organization, *, insight: bool = False) -> CheckInNote:
    return CheckInNote(
        key_result=_line(check_in.key_result, organization),
        at=check_in.at,
        author=check_in.author.name if check_in.author else "",
        text=_note_text(check_in, insight=insight),
        is_open=check_in.is_open_blocker,
    )


def _active_key_results(member: Member) -> QuerySet[KeyResult, KeyResult]:
    return (
        KeyResult.objects.visible_to(member)
        .filter(objective__period__state=PeriodState.ACTIVE, objective__closed_at__isnull=True)
        .select_related("objective")
    )


def _local_midnight(day: dt.date, organization: Organization) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=emails.organization_zone(organization))


def reminder_for(member: Member, *, today: dt.date) -> MemberReminder:
    """What is due for `member` in the cadence window containing `today`: their key results
    without a check-in this window, without a Next Up or with an overdue one, and their open
    blockers (on key results they own, or raised by them)."""
    organization = member.organization
    start, end = rhythm.window(
        cadence=organization.checkin_cadence, week_start=organization.week_start, today=today
    )
    day = rhythm.check_in_day(
        cadence=organization.checkin_cadence,
        week_start=organization.week_start,
        weekday=organization.checkin_weekday,
        today=today,
    )
    window_began = _local_midnight(start, organization)
    due: list[DueKeyResult] = []
    for key_result in my_key_results(member).order_by(
        "objective__created_at", "objective_id", "position", "id"
    ):
        if key_result.is_done:
            continue
        reasons: list[DueReason] = []
        last = key_result.last_check_in_at
        if last is None or last < window_began:
            reasons.append(DueReason.CHECK_IN)
        if key_result.next_up_due is None:
            reasons.append(DueReason.NO_NEXT_UP)
        elif key_result.next_up_due < today:
            reasons.append(DueReason.NEXT_UP_OVERDUE)
        if reasons:
            due.append(
                DueKeyResult(
                    key_result=_line(key_result, organization),
                    staleness=staleness_of(key_result, organization, today),
                    reasons=tuple(reasons),
                    next_up_due=key_result.next_up_due,
                    last_check_in=last,
                )
            )
    blockers = (
        CheckIn.objects.visible_to(member)
        .open_blockers()
        .filter(Q(key_result__owner=member) | Q(author=member))
        .filter(
            key_result__objective__period__state=PeriodState.ACTIVE,
            key_result__objective__closed_at__isnull=True,
        )
        .select_related("key_result__objective", "author__user")
        .order_by("at", "id")
    )
    return MemberReminder(
        member_id=member.pk,
        window_start=start,
        window_end=end,
        check_in_day=day,
        due=tuple(due),
        blockers=tuple(_note(check_in, organization) for check_in in blockers),
        inbox_url=inbox_url(organization),
    )


def _latest(field_name: str, *, before: dt.datetime) -> Subquery:
    return Subquery(
        CheckIn.objects.live()
        .filter(key_result=OuterRef("pk"), at__lt=before, **{f"{field_name}__isnull": False})
        .order_by("-at", "-id")
        .values(field_name)[:1]
    )


def _written_between(field_name: str, *, since: dt.datetime, until: dt.datetime) -> Exists:
    return Exists(
        CheckIn.objects.live().filter(
            key_result=OuterRef("pk"),
            at__gte=since,
            at__lt=until,
            **{f"{field_name}__isnull": False},
        )
    )


def _team_digest(
    lead: Member, team: Team, *, since: dt.datetime, until: dt.datetime, today: dt.date
) -> TeamDigest:
    organization = lead.organization
    # The team's key results as every page counts them (its sub-teams and people included),
    # narrowed by the gate to what the lead may see.
    of_team = team_key_results(lead, team).values("pk")
    key_results = list(
        _active_key_results(lead)
        .filter(pk__in=of_team)
        .annotate(
            value_before=_latest("progress_value", before=since),
            value_after=_latest("progress_value", before=until),
            value_written=_written_between("progress_value", since=since, until=until),
            confidence_before=_latest("confidence", before=since),
            confidence_after=_latest("confidence", before=until),
            confidence_written=_written_between("confidence", since=since, until=until),
        )
        .order_by("objective__created_at", "objective_id", "position", "id")
    )
    moved: list[ValueMove] = []
    confidence: list[ConfidenceChange] = []
    stale: list[StaleKeyResult] = []
    dead: list[StaleKeyResult] = []
    for key_result in key_results:
        row: Any = key_result
        line = _line(key_result, organization)
        if row.value_written:
            before = row.value_before if row.value_before is not None else key_result.start_value
            if row.value_after != before:
                moved.append(
                    ValueMove(
                        key_result=line,
                        before=Decimal(before),
                        after=Decimal(row.value_after),
                        unit=key_result.unit,
                    )
                )
        if row.confidence_written and row.confidence_after != row.confidence_before:
            confidence.append(
                ConfidenceChange(
                    key_result=line, before=row.confidence_before, after=row.confidence_after
                )
            )
        state = staleness_of(key_result, organization, today)
        if state in (rhythm.Staleness.STALE, rhythm.Staleness.DEAD):
            (dead if state == rhythm.Staleness.DEAD else stale).append(
                StaleKeyResult(
                    key_result=line, staleness=state, last_check_in=key_result.last_check_in_at
                )
            )
    flagged = (
        CheckIn.objects.visible_to(lead)
        .live()
        .filter(key_result__in=[key_result.pk for key_result in key_results])
        .filter(at__gte=since, at__lt=until)
        .filter(Q(is_blocker=True) | Q(is_insight=True))
        .select_related("key_result__objective", "author__user")
        .order_by("at", "id")
    )
    blockers: list[CheckInNote] = []
    insights: list[CheckInNote] = []
    for check_in in flagged:
        if check_in.is_blocker:
            blockers.append(_note(check_in, organization))
        if check_in.is_insight:
            insights.append(_note(check_in, organization, insight=True))
    return TeamDigest(
        team_uid=team.uid,
        team_name=team.name,
        team_url=_url("okrs:team", org=organization.slug, team=team.uid),
        moved=tuple(moved),
        confidence=tuple(confidence),
        blockers=tuple(blockers),
        insights=tuple(insights),
        stale=tuple(stale),
        dead=tuple(dead),
    )


def digest_week(organization: Organization, today: dt.date) -> dt.date:
    """The first day of the week containing `today`: digests are weekly whatever the cadence."""
    start, _end = rhythm.window(cadence="weekly", week_start=organization.week_start, today=today)
    return start


def digest_for(lead: Member, *, today: dt.date) -> Digest:
    """The weekly digest of `lead`'s teams, about the week before the one containing `today`:
    values moved, confidence changes, new blockers and insights, and (as of `today`) stale and
    dead key results."""
    organization = lead.organization
    week_start = digest_week(organization, today)
    since_day = week_start - dt.timedelta(days=7)
    since = _local_midnight(since_day, organization)
    until = _local_midnight(week_start, organization)
    teams = Team.objects.in_org(organization).filter(lead=lead).order_by("name")
    return Digest(
        member_id=lead.pk,
        week_start=week_start,
        since=since_day,
        until=week_start - dt.timedelta(days=1),
        teams=tuple(
            _team_digest(lead, team, since=since, until=until, today=today) for team in teams
        ),
        inbox_url=inbox_url(organization),
    )
