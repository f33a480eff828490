"""Blockers, insights and an objective's check-in stream."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from cairn.checkins.models import CheckIn
from cairn.checkins.queries.common import check_in_texts
from cairn.lib import charts, rhythm
from cairn.okrs.models import KeyResult, Objective, ObjectiveTeam
from cairn.okrs.queries import team_key_results
from cairn.orgs.models import Member, Period, Team

RESOLVED_LIMIT = 20
INSIGHTS_PER_PAGE = 50


# Blockers -----------------------------------------------------------------------------------


def can_resolve(member: Member, check_in: CheckIn) -> bool:
    """Who may resolve a blocker: any writer who can see it. Blockers are often cleared by
    someone outside the owning team (the platform team fixes the thing in the way), so the
    rule is no narrower than visibility; `check_in` must come through the gate."""
    return member.can_write and check_in.is_open_blocker


@dataclass
class BlockerRow:
    """An open or resolved blocker, with the people a reader should ask to resolve it: the
    key result's owner, the one who raised it, the owning teams' members (named by team) and
    the admins. Anyone else who can write and see it may resolve it too (`can_resolve`)."""

    check_in: CheckIn
    owning_teams: list[Team] = field(default_factory=list)

    @property
    def key_result(self) -> KeyResult:
        return self.check_in.key_result

    @property
    def objective(self) -> Objective:
        return self.check_in.key_result.objective

    @property
    def texts(self) -> list[tuple[str, str]]:
        return check_in_texts(self.check_in)

    @property
    def resolvers(self) -> list[str]:
        names: list[str] = []
        owner = self.key_result.owner
        if owner is not None:
            names.append(owner.name)
        author = self.check_in.author
        if author is not None and author.name not in names:
            names.append(author.name)
        return names


def _blocker_rows(qs: QuerySet[CheckIn]) -> list[BlockerRow]:
    links = ObjectiveTeam.objects.select_related("team").order_by("team__name")
    qs = qs.select_related(
        "key_result__objective__period",
        "key_result__owner__user",
        "author__user",
        "blocker_resolved_by__user",
    ).prefetch_related(Prefetch("key_result__objective__team_links", queryset=links))
    return [
        BlockerRow(
            check_in=check_in,
            owning_teams=[link.team for link in check_in.key_result.objective.team_links.all()],
        )
        for check_in in qs
    ]


def blockers_in_view(member: Member, team: Team | None = None) -> QuerySet[CheckIn]:
    """Every live blocker `member` may see; of the team's key results (`team_key_results`, its
    sub-teams and people included) when `team` is given."""
    qs = CheckIn.objects.visible_to(member).live().filter(is_blocker=True)
    if team is not None:
        qs = qs.filter(key_result__in=team_key_results(member, team).values("pk"))
    return qs


@dataclass
class BlockersBoard:
    open: list[BlockerRow]
    resolved: list[BlockerRow]


def blockers_board(member: Member, team: Team | None = None) -> BlockersBoard:
    """Open blockers oldest first (the longest in the way on top); the latest resolved ones
    below, newest first."""
    qs = blockers_in_view(member, team)
    open_ = _blocker_rows(qs.filter(blocker_resolved_at__isnull=True).order_by("at", "id"))
    resolved = _blocker_rows(
        qs.filter(blocker_resolved_at__isnull=False).order_by("-blocker_resolved_at", "-id")[
            :RESOLVED_LIMIT
        ]
    )
    return BlockersBoard(open=open_, resolved=resolved)


def blocker_row(member: Member, check_in: CheckIn) -> BlockerRow:
    [row] = _blocker_rows(CheckIn.objects.visible_to(member).filter(pk=check_in.pk))
    return row


# Insights -----------------------------------------------------------------------------------


def insights(
    member: Member,
    period: Period | None,
    *,
    team: Team | None = None,
    objective: Objective | None = None,
) -> QuerySet[CheckIn]:
    """Live check-ins flagged as insights in the period, newest first."""
    if period is None:
        return CheckIn.objects.none()
    qs = (
        CheckIn.objects.visible_to(member)
        .live()
        .filter(is_insight=True, key_result__objective__period=period)
    )
    if team is not None:
        qs = qs.filter(key_result__in=team_key_results(member, team).values("pk"))
    if objective is not None:
        qs = qs.filter(key_result__objective=objective)
    return qs.select_related(
        "key_result__objective", "key_result__owner__user", "author__user"
    ).order_by("-at", "-id")


@dataclass(frozen=True)
class InsightRow:
    check_in: CheckIn

    @property
    def texts(self) -> list[tuple[str, str]]:
        return check_in_texts(self.check_in)


def objectives_for_filter(member: Member, period: Period | None) -> list[Objective]:
    if period is None:
        return []
    return list(Objective.objects.visible_to(member).filter(period=period).order_by("title"))


# The objective's check-in stream ------------------------------------------------------------

STREAM_PAGE_SIZE = 20


@dataclass(frozen=True)
class StreamItem:
    check_in: CheckIn

    @property
    def band(self) -> str:
        level = self.check_in.confidence
        return "" if level is None else rhythm.band(level).value

    @property
    def band_label(self) -> str:
        level = self.check_in.confidence
        return "" if level is None else charts.band_label(level)


@dataclass(frozen=True)
class StreamPage:
    items: list[StreamItem]
    number: int
    has_more: bool


def check_in_stream(member: Member, objective: Objective, page: int = 1) -> StreamPage:
    """The objective's live check-ins on the key results `member` may see, from everyone (all
    owning teams' members and anyone else who checked in), newest first, one page at a time.
    One query: a page is read with one extra row to tell whether there is more."""
    page = max(page, 1)
    start = (page - 1) * STREAM_PAGE_SIZE
    rows = list(
        CheckIn.objects.visible_to(member)
        .live()
        .filter(key_result__objective=objective)
        .select_related("key_result", "author__user")
        .order_by("-at", "-id")[start : start + STREAM_PAGE_SIZE + 1]
    )
    return StreamPage(
        items=[StreamItem(check_in) for check_in in rows[:STREAM_PAGE_SIZE]],
        number=page,
        has_more=len(rows) > STREAM_PAGE_SIZE,
    )
