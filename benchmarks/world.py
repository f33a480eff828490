"""The generator's plan of the organization: what is decided before rows are written."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field

from benchmarks.sizes import Counts


class GenerateError(Exception):
    """Bad input or a database that already holds the organization: a message, exit 1."""


@dataclass
class PeriodInfo:
    id: int
    start: dt.date
    end: dt.date
    closed: bool
    planning: bool
    # Check-ins are dated up to here: the end of a closed period, now in the current one.
    until: dt.datetime
    begin: dt.datetime


@dataclass
class ObjectivePlan:
    id: int
    period: int  # index into periods
    teams: list[int]  # team indexes; empty for a personal objective
    person: int | None  # member index of a personal objective's owner
    private: bool
    n_krs: int
    first_kr: int = 0
    parent: tuple[int, int | None] | None = None  # (objective index, key result offset)


@dataclass
class World:
    rng: random.Random
    counts: Counts
    org_id: int
    now: dt.datetime
    periods: list[PeriodInfo] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)
    admin_id: int = 0
    team_ids: list[int] = field(default_factory=list)
    team_level: list[int] = field(default_factory=list)
    team_parent: list[int | None] = field(default_factory=list)
    team_members: list[list[int]] = field(default_factory=list)  # member indexes
    member_team: list[int] = field(default_factory=list)  # primary team index
    objectives: list[ObjectivePlan] = field(default_factory=list)
    dependencies: list[DependencyPlan] = field(default_factory=list)


def uid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@dataclass
class DependencyPlan:
    objective: int
    kr: int | None
    requesting: int
    providing: int
    state: str
