"""A tiny run of the generator: every kind of row is there, the roll-ups agree with the check-ins
written, the same seed gives the same organization, and a second run is refused."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count

from benchmarks.generate import GenerateError, generate
from benchmarks.sizes import PASSWORD, Counts, admin_email
from cairn.alignment.models import Dependency, DependencyState
from cairn.checkins.models import CheckIn, CheckInRevision, Sync
from cairn.okrs.models import Alignment, Initiative, KeyResult, Objective
from cairn.orgs.models import Member, Organization, Period, PeriodState, Team, User

pytestmark = pytest.mark.django_db

FACTOR = 0.001
NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def _run(seed: int = 1) -> Organization:
    generate(size="S", seed=seed, factor=FACTOR, out=lambda _line: None, now=NOW)
    return Organization.objects.get(slug="bench-x100")


def _fingerprint(org: Organization) -> list[Any]:
    return [
        list(Team.objects.filter(organization=org).order_by("id").values_list("name", "uid")),
        list(Objective.objects.in_org(org).order_by("id").values_list("title", "visibility")),
        list(
            KeyResult.objects.in_org(org)
            .order_by("id")
            .values_list("uid", "current_value", "confidence", "score")
        ),
        CheckIn.objects.in_org(org).count(),
        list(CheckIn.objects.in_org(org).order_by("id").values_list("uid", "at")[:50]),
    ]


def test_tiny_organization_has_every_kind_of_row() -> None:
    org = _run()
    counts = Counts.at(FACTOR)
    assert org.name == "Bench S"
    assert Member.objects.in_org(org).count() == counts.members + 1
    teams = Team.objects.in_org(org)
    assert teams.count() == counts.teams
    # Five levels: the root has no parent, and the deepest team is four parents down.
    deepest = teams.order_by("-id").first()
    assert deepest is not None
    depth = 0
    while deepest.parent_id is not None:
        deepest = Team.objects.get(id=deepest.parent_id)
        depth += 1
    assert depth == 4
    states = Counter(Period.objects.in_org(org).values_list("state", flat=True))
    assert states == {PeriodState.CLOSED: 2, PeriodState.ACTIVE: 1, PeriodState.PLANNING: 1}
    objectives = Objective.objects.in_org(org)
    assert objectives.count() == counts.objectives
    assert objectives.filter(visibility="private").exists()
    assert objectives.annotate(n=Count("team_links")).filter(n__gte=2).exists()
    assert objectives.filter(owner_person__isnull=False, team_links__isnull=True).exists()
    assert (
        objectives.filter(closed_at__isnull=False).count()
        == objectives.filter(period__state=PeriodState.CLOSED).count()
    )
    krs = KeyResult.objects.in_org(org).count()
    assert 3 * counts.objectives <= krs <= 4 * counts.objectives
    check_ins = CheckIn.objects.in_org(org)
    assert abs(check_ins.count() - counts.check_ins) < counts.check_ins * 0.25
    # Every section and flag.
    for lookup in (
        {"progress_value__isnull": False},
        {"confidence__isnull": False},
        {"next_up_due__isnull": False},
        {"reflects_on__isnull": False},
        {"context_why__gt": ""},
        {"result_score__isnull": False},
        {"result_score_overridden": True},
        {"is_insight": True},
        {"is_blocker": True, "blocker_resolved_at__isnull": True},
        {"is_blocker": True, "blocker_resolved_at__isnull": False},
        {"deleted_at__isnull": False},
        {"edited_at__isnull": False},
    ):
        assert check_ins.filter(**lookup).exists(), lookup
    assert CheckInRevision.objects.filter(check_in__organization=org).exists()
    # A key result with 100+ check-ins for the key result page.
    assert KeyResult.objects.in_org(org).annotate(n=Count("check_ins")).filter(n__gte=100).exists()
    assert Initiative.objects.in_org(org).count() == counts.initiatives
    dependency_states = set(Dependency.objects.in_org(org).values_list("state", flat=True))
    assert dependency_states == set(DependencyState.values)
    assert Alignment.objects.in_org(org).exists()
    assert Sync.objects.in_org(org).exists()
    # Everyone signs in with the benchmark's password.
    assert User.objects.get(email=admin_email(org.slug)).check_password(PASSWORD)


def test_roll_ups_agree_with_the_check_ins() -> None:
    org = _run()
    for kr in KeyResult.objects.in_org(org).prefetch_related("check_ins"):
        live = sorted((c for c in kr.check_ins.all() if c.deleted_at is None), key=lambda c: c.at)
        if not live:
            assert kr.last_check_in_at is None
            continue
        assert kr.last_check_in_at == live[-1].at
        values = [c.progress_value for c in live if c.progress_value is not None]
        if values:
            assert kr.current_value == values[-1]
        confidences = [c.confidence for c in live if c.confidence is not None]
        assert kr.confidence == (confidences[-1] if confidences else None)
        assert kr.open_blockers == sum(
            1 for c in live if c.is_blocker and c.blocker_resolved_at is None
        )
        scores = [c.result_score for c in live if c.result_score is not None]
        assert kr.score == (scores[-1] if scores else None)
    unaccepted = Counter(
        Dependency.objects.in_org(org)
        .filter(
            key_result__isnull=False,
            state__in=[
                DependencyState.PROPOSED,
                DependencyState.DECLINED,
                DependencyState.DEFERRED,
            ],
        )
        .values_list("key_result_id", flat=True)
    )
    for kr_id, n in KeyResult.objects.in_org(org).values_list("id", "unaccepted_dependencies"):
        assert n == unaccepted.get(kr_id, 0)


class _Rollback(Exception):
    pass


def test_same_seed_same_organization_and_no_second_run() -> None:
    prints: list[Any] = []
    for seed in (7, 7, 8):
        try:
            with transaction.atomic():
                prints.append(_fingerprint(_run(seed)))
                with pytest.raises(GenerateError, match="already exists"):
                    _run(seed)
                raise _Rollback
        except _Rollback:
            pass
    assert prints[0] == prints[1]
    assert prints[0] != prints[2]


def test_unknown_size_is_refused() -> None:
    with pytest.raises(GenerateError, match="unknown size"):
        generate(size="XL", out=lambda _line: None)
