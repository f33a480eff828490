"""Who and what the in-process benchmark measures, chosen by queries on the organization.

Nothing here knows a name: the same rules pick the subjects of a generated organization
(`bench-s`, ...) and of the demo (`acme`). Every choice is deterministic (lowest id among those
that qualify) and falls back step by step, so that a small organization still gets a subject
for every page; `Subjects.notes` says which fallbacks were taken.

- the admin: the active admin with the lowest id;
- the current period: the active one containing the organization's today (the shortest when
  several do), else the one the pages would show by default;
- the typical member: role member, active, in a team that owns a shared OKR (two or more
  owning teams) of the current period, and able to see a key result with 100 or more live
  check-ins;
- their team: the lowest-id team of theirs that owns such a shared OKR;
- the shared OKR: the lowest-id shared objective of the period that team owns;
- the heavy key result: the one with the most live check-ins the member may see;
- the key result to check in on: one of the current period the member may see, on an
  objective still open, not the heavy one; their own first, then their team's;
- the report period: the latest closed period (a report and an export are read after the
  period ends, and calibration needs a closed one), else the current one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, Value, When

from cairn.checkins.models import CheckIn
from cairn.okrs import queries
from cairn.okrs.models import KeyResult, Objective, ObjectiveTeam
from cairn.orgs.models import Member, Organization, Period, PeriodState, Role, Team, TeamMembership

# A key result page is measured with at least this many check-ins when the data has one.
HEAVY_CHECK_INS = 100
# Candidates looked at for the heaviest key result and for the typical member: enough for any
# generated size, bounded so that picking stays quick on a large organization.
TOP_KEY_RESULTS = 500
MEMBER_CANDIDATES = 500
# The comment of every check-in the benchmark writes: left out when the heaviest key result is
# picked, so that the writes of earlier runs do not move the subjects of the next.
BENCH_COMMENT = "Benchmark: steady."


class NoSubjects(Exception):
    """The organization lacks something every scenario needs (a member, a period, ...)."""


@dataclass
class Subjects:
    org: Organization
    admin: Member
    member: Member
    team: Team
    period: Period
    report_period: Period
    objective: Objective
    heavy_key_result: KeyResult
    heavy_check_ins: int
    write_key_result: KeyResult
    notes: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, object]:
        """What was picked, for the results file: ids and sizes, no personal data."""
        return {
            "organization": self.org.slug,
            "admin": str(self.admin.uid),
            "member": str(self.member.uid),
            "team": str(self.team.uid),
            "period": self.period.name,
            "report_period": self.report_period.name,
            "objective": str(self.objective.uid),
            "heavy_key_result": str(self.heavy_key_result.uid),
            "heavy_check_ins": self.heavy_check_ins,
            "write_key_result": str(self.write_key_result.uid),
            "notes": list(self.notes),
        }


def pick(slug: str) -> Subjects:
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise NoSubjects(f"no organization {slug!r}")
    notes: list[str] = []
    admin = (
        Member.objects.in_org(org)
        .filter(role=Role.ADMIN, is_active=True)
        .select_related("organization", "user")
        .order_by("id")
        .first()
    )
    if admin is None:
        raise NoSubjects(f"{slug}: no active admin")
    period = _current_period(org, notes)
    heavy_counts = _heaviest_key_results(org)
    shared_ids = _shared_objective_ids(period)
    owning_team_ids = set(
        ObjectiveTeam.objects.filter(objective_id__in=shared_ids).values_list("team_id", flat=True)
    )
    member = _typical_member(org, owning_team_ids, heavy_counts, notes)
    team = _team_of(member, owning_team_ids, notes)
    objective = _shared_objective(member, team, period, shared_ids, notes)
    heavy, heavy_n = _heavy_key_result(member, heavy_counts, notes)
    write_kr = _write_key_result(member, team, period, exclude=heavy.pk, notes=notes)
    report_period = (
        Period.objects.in_org(org).filter(state=PeriodState.CLOSED).order_by("-end", "-id").first()
    )
    if report_period is None:
        notes.append("no closed period: the report and export read the current one")
        report_period = period
    return Subjects(
        org=org,
        admin=admin,
        member=member,
        team=team,
        period=period,
        report_period=report_period,
        objective=objective,
        heavy_key_result=heavy,
        heavy_check_ins=heavy_n,
        write_key_result=write_kr,
        notes=notes,
    )


def _current_period(org: Organization, notes: list[str]) -> Period:
    today = org.today()
    containing = (
        Period.objects.in_org(org)
        .filter(state=PeriodState.ACTIVE, start__lte=today, end__gte=today)
        .order_by("end", "-start", "id")
    )
    found = min(containing, key=lambda p: (p.end - p.start, p.start, p.pk), default=None)
    if found is not None:
        return found
    fallback = queries.current_period(Period.objects.in_org(org), today)
    if fallback is None:
        raise NoSubjects(f"{org.slug}: no period")
    notes.append(f"no active period contains {today}: using {fallback.name}")
    return fallback


def _heaviest_key_results(org: Organization) -> list[tuple[int, int]]:
    """(key result id, live check-ins), the most first: one aggregate over the check-ins."""
    rows = (
        CheckIn.objects.filter(organization=org, deleted_at__isnull=True)
        .exclude(progress_comment=BENCH_COMMENT)
        .values("key_result_id")
        .annotate(n=Count("id"))
        .order_by("-n", "key_result_id")
        .values_list("key_result_id", "n")[:TOP_KEY_RESULTS]
    )
    return [(kr_id, n) for kr_id, n in rows]


def _shared_objective_ids(period: Period) -> list[int]:
    return sorted(
        ObjectiveTeam.objects.filter(objective__period=period)
        .values("objective_id")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .values_list("objective_id", flat=True)
    )


def _members_in(org: Organization, team_ids: set[int] | None) -> list[Member]:
    qs = Member.objects.in_org(org).filter(role=Role.MEMBER, is_active=True)
    if team_ids is not None:
        qs = qs.filter(
            pk__in=TeamMembership.objects.filter(team_id__in=team_ids).values("member_id")
        )
    else:
        qs = qs.filter(pk__in=TeamMembership.objects.values("member_id"))
    return list(qs.select_related("organization", "user").order_by("id")[:MEMBER_CANDIDATES])


def _sees_any(member: Member, key_result_ids: list[int]) -> bool:
    return KeyResult.objects.visible_to(member).filter(pk__in=key_result_ids).exists()


def _typical_member(
    org: Organization,
    owning_team_ids: set[int],
    heavy_counts: list[tuple[int, int]],
    notes: list[str],
) -> Member:
    heavy_ids = [kr_id for kr_id, n in heavy_counts if n >= HEAVY_CHECK_INS]
    candidates = _members_in(org, owning_team_ids) if owning_team_ids else []
    if heavy_ids:
        for candidate in candidates:
            if _sees_any(candidate, heavy_ids):
                return candidate
    if candidates:
        notes.append(
            f"no member of a shared OKR's team sees a key result with {HEAVY_CHECK_INS}+ "
            "check-ins: the lowest-id member of such a team"
        )
        return candidates[0]
    notes.append("no shared OKR in the current period: the lowest-id member of any team")
    anyone = _members_in(org, None)
    if anyone:
        return anyone[0]
    raise NoSubjects(f"{org.slug}: no active member with a team")


def _team_of(member: Member, owning_team_ids: set[int], notes: list[str]) -> Team:
    teams = Team.objects.filter(memberships__member=member).order_by("id")
    team = teams.filter(pk__in=owning_team_ids).first()
    if team is None:
        team = teams.first()
        notes.append("the member's team owns no shared OKR: their lowest-id team")
    assert team is not None  # the member was picked from team members
    return team


def _shared_objective(
    member: Member, team: Team, period: Period, shared_ids: list[int], notes: list[str]
) -> Objective:
    visible = Objective.objects.visible_to(member).filter(period=period).order_by("id")
    found = visible.filter(pk__in=shared_ids, team_links__team=team).first()
    if found is None:
        found = visible.filter(pk__in=shared_ids).first()
        if found is not None:
            notes.append("no shared OKR of the member's team: another visible shared OKR")
    if found is None:
        found = visible.first()
        notes.append("no visible shared OKR in the period: the lowest-id visible objective")
    if found is None:
        raise NoSubjects(f"{member.organization.slug}: no objective in {period.name}")
    return found


def _heavy_key_result(
    member: Member, heavy_counts: list[tuple[int, int]], notes: list[str]
) -> tuple[KeyResult, int]:
    visible = set(
        KeyResult.objects.visible_to(member)
        .filter(pk__in=[kr_id for kr_id, _n in heavy_counts])
        .values_list("pk", flat=True)
    )
    for kr_id, n in heavy_counts:
        if kr_id in visible:
            if n < HEAVY_CHECK_INS:
                notes.append(f"no visible key result has {HEAVY_CHECK_INS}+ check-ins: {n}")
            return KeyResult.objects.get(pk=kr_id), n
    found = KeyResult.objects.visible_to(member).order_by("id").first()
    if found is None:
        raise NoSubjects(f"{member.organization.slug}: the member sees no key result")
    notes.append("no visible key result has a check-in")
    return found, 0


def _write_key_result(
    member: Member, team: Team, period: Period, *, exclude: int, notes: list[str]
) -> KeyResult:
    team_objectives = ObjectiveTeam.objects.filter(team=team).values("objective_id")
    found = (
        KeyResult.objects.visible_to(member)
        .filter(objective__period=period, objective__closed_at__isnull=True)
        .exclude(pk=exclude)
        .annotate(
            rank=Case(
                When(owner=member, then=Value(0)),
                When(Q(objective__in=team_objectives), then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "id")
        .first()
    )
    if found is None:
        raise NoSubjects(f"{member.organization.slug}: no open key result to check in on")
    if found.rank != 0:  # type: ignore[attr-defined]
        notes.append("the member owns no open key result: checking in on another they see")
    return found
