"""API v1 schemas for objectives, key results, initiatives and alignment links.

Input and output are separate schemas per operation (STYLE.md, 5). Ids are the opaque uids
of the web UI's URLs; numbers are JSON numbers; the product's words name the fields.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from cairn.api.common import PersonRef, Ref
from cairn.lib.rhythm import Band, Staleness

VisibilityValue = Literal["public", "private"]
KindValue = Literal["metric", "percentage", "milestone"]
DirectionValue = Literal["up", "down"]
StateValue = Literal["planned", "in_progress", "done", "deferred"]
PaceValue = Literal["ahead", "on_pace", "behind", "not_started"]

OBJECTIVE_ID = "6f1c2a9e-3b7d-4c55-9e1a-2d4f8b0c7a11"
KEY_RESULT_ID = "0b9d7e51-6a2c-4f3e-8d17-5c4b3a291e08"
INITIATIVE_ID = "d2e4a6b8-1c3e-4a5b-9c7d-8e0f1a2b3c4d"
PERIOD: dict[str, Any] = {"id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "name": "2026 Q4"}
TEAM: dict[str, Any] = {"id": "4c3b2a19-8f7e-4d6c-9b5a-3f2e1d0c9b8a", "name": "Product"}
PERSON: dict[str, Any] = {
    "id": "7e6d5c4b-3a29-4f18-8e7d-6c5b4a392817",
    "name": "Mia Member",
    "email": "mia@acme.test",
}
UPDATED_AT = "2026-11-02T09:14:03.512877Z"


def unchanged(**constraints: Any) -> Any:
    """The default of a PATCH field that cannot be null: absent means "leave it as it is",
    while an explicit null is refused (a default is not validated, a value is)."""
    return Field(None, **constraints)


# References ---------------------------------------------------------------------------------


class TitledRef(Schema):
    """An objective or key result, by its opaque id and its title."""

    id: str
    title: str


class ContinuityRef(Schema):
    """An objective or key result of another period that this one continues (carry-over),
    or that continues it: by id, title and period. Only one the caller may see is listed."""

    id: str
    title: str
    period: Ref


class AlignedParent(Schema):
    """A parent this objective contributes to, which the caller may see. `link_id` is the
    alignment itself (remove it with `DELETE /alignments/{link_id}`)."""

    kind: Literal["objective", "key_result"]
    redacted: Literal[False] = False
    id: str
    title: str
    objective: TitledRef | None = Field(
        None, description="For a key result parent: the objective it belongs to."
    )
    link_id: str


class RedactedKeyResultParent(Schema):
    """A parent key result the caller may not see, on an objective they may see: the
    objective is named, the key result is not."""

    kind: Literal["key_result"]
    redacted: Literal[True]
    objective: TitledRef
    link_id: str


class RedactedParent(Schema):
    """A parent the caller may not see: that there is one is told, nothing about it."""

    kind: Literal["objective"]
    redacted: Literal[True]


AlignedTo = AlignedParent | RedactedKeyResultParent | RedactedParent


# Objectives ---------------------------------------------------------------------------------


class KeyResultBrief(Schema):
    id: str
    title: str
    progress: float
    score: float | None = Field(None, description="0.0 to 1.0 once it has a Result.")
    confidence: int | None = None
    staleness: Staleness


class ObjectiveOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": OBJECTIVE_ID,
                    "title": "Launch the Acme product successfully",
                    "description": "",
                    "period": PERIOD,
                    "visibility": "public",
                    "owner_person": None,
                    "owner_teams": [TEAM],
                    "shared_with": [],
                    "aligned_to": [
                        {
                            "kind": "objective",
                            "redacted": False,
                            "id": "5d4c3b2a-1908-4f7e-8d6c-5b4a39281706",
                            "title": "Become the market leader",
                            "objective": None,
                            "link_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                        },
                        {"kind": "objective", "redacted": True},
                    ],
                    "progress": 0.42,
                    "pace": "on_pace",
                    "score": None,
                    "key_results": [
                        {
                            "id": KEY_RESULT_ID,
                            "title": "Reach 500,000 daily active users",
                            "progress": 0.42,
                            "score": None,
                            "confidence": 7,
                            "staleness": "fresh",
                        }
                    ],
                    "closed": False,
                    "continued_from": {
                        "id": "3e2d1c0b-9a87-4f65-8e43-2d1c0b9a8776",
                        "title": "Launch the Acme product successfully",
                        "period": {"id": "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d", "name": "2026 Q3"},
                    },
                    "continued_into": [],
                    "can_edit": True,
                    "created_at": "2026-10-01T08:00:00Z",
                    "updated_at": UPDATED_AT,
                }
            ]
        }
    )

    id: str
    title: str
    description: str
    period: Ref
    visibility: VisibilityValue
    owner_person: PersonRef | None = None
    owner_teams: list[Ref] = Field(description="Every owning team; two or more: a shared OKR.")
    shared_with: list[PersonRef] = Field(description="People who may see it while it is private.")
    aligned_to: list[AlignedTo] = Field(
        description="What it contributes to. A parent you may not see is listed redacted."
    )
    progress: float | None = Field(
        description="0 to 1, over the key results you may see; null without any."
    )
    pace: PaceValue | None = None
    score: float | None = Field(
        None,
        description=(
            "0.0 to 1.0: the weighted mean of the scores of the key results you may see that "
            "have one (as progress); null before any is scored. A shared OKR has one score."
        ),
    )
    key_results: list[KeyResultBrief] = Field(description="The key results you may see.")
    closed: bool = Field(
        False, description="Its period is closed (or all its owning teams closed it): read-only."
    )
    continued_from: ContinuityRef | None = Field(
        None, description="The objective of an earlier period it was carried over from."
    )
    continued_into: list[ContinuityRef] = Field(
        default_factory=list, description="Its continuations in later periods (carry-over)."
    )
    can_edit: bool
    created_at: dt.datetime
    updated_at: dt.datetime = Field(description="Send it back with PATCH to detect races (409).")


class ObjectiveIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Launch the Acme product successfully",
                    "period": PERIOD["id"],
                    "owner_teams": [TEAM["id"]],
                    "visibility": "public",
                }
            ]
        }
    )

    title: str = Field(max_length=200)
    description: str = ""
    period: uuid.UUID
    owner_person: uuid.UUID | None = Field(
        None, description="Owned by one person (a member id) or by teams, not both."
    )
    owner_teams: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    visibility: VisibilityValue = "public"
    shared_with: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class ObjectivePatch(Schema):
    """Only the fields sent change. `owner_person: null` with `owner_teams` moves an objective
    from a person to teams."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"title": "Launch Acme in three countries", "updated_at": UPDATED_AT}]
        }
    )

    title: str = unchanged(max_length=200)
    description: str = unchanged()
    period: uuid.UUID = unchanged()
    owner_person: uuid.UUID | None = None
    owner_teams: list[uuid.UUID] = unchanged(max_length=100)
    visibility: VisibilityValue = unchanged()
    shared_with: list[uuid.UUID] = unchanged(max_length=500)
    updated_at: dt.datetime | None = Field(
        None, description="The `updated_at` you read: a 409 if it changed since."
    )


class AlignmentIn(Schema):
    """Exactly one parent: an objective or a key result you may see, in the same period or
    one that encloses it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"parent_objective": OBJECTIVE_ID}]})

    parent_objective: uuid.UUID | None = None
    parent_key_result: uuid.UUID | None = None


# Key results --------------------------------------------------------------------------------


class NextUp(Schema):
    plan: str
    due: dt.date | None = None


class ContextOut(Schema):
    why: str
    baseline: str
    tactic: str
    outdated: bool = Field(description="A material change since: a new Context check-in is due.")


class ContextIn(Schema):
    why: str = ""
    baseline: str = ""
    tactic: str = ""


class KeyResultOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": KEY_RESULT_ID,
                    "objective": {"id": OBJECTIVE_ID, "title": "Launch the Acme product"},
                    "title": "Reach 500,000 daily active users",
                    "description": "",
                    "kind": "metric",
                    "start": 0,
                    "target": 500000,
                    "unit": "DAU",
                    "direction": "up",
                    "weight": 1,
                    "owner": PERSON,
                    "visibility": "public",
                    "shared_with": [],
                    "current_value": 210000,
                    "progress": 0.42,
                    "confidence": 7,
                    "confidence_band": "on_track",
                    "next_up": {"plan": "Ship the referral flow", "due": "2026-11-13"},
                    "staleness": "fresh",
                    "open_blockers": 0,
                    "last_check_in_at": "2026-11-06T16:20:00Z",
                    "score": None,
                    "scored_at": None,
                    "context": {
                        "why": "Usage is what pays",
                        "baseline": "180k",
                        "tactic": "Referrals",
                        "outdated": False,
                    },
                    "closed": False,
                    "continued_from": None,
                    "continued_into": [],
                    "can_edit": True,
                    "created_at": "2026-10-01T08:05:00Z",
                    "updated_at": UPDATED_AT,
                }
            ]
        }
    )

    id: str
    objective: TitledRef
    title: str
    description: str
    kind: KindValue
    start: float
    target: float
    unit: str
    direction: DirectionValue
    weight: float
    owner: PersonRef | None = None
    visibility: VisibilityValue
    shared_with: list[PersonRef]
    current_value: float
    progress: float = Field(description="Share of the way from start to target; above 1 beyond.")
    confidence: int | None = Field(None, description="0 to 10 from the latest check-in.")
    confidence_band: Band | None = None
    next_up: NextUp | None = Field(None, description="The current Next Up, if any.")
    staleness: Staleness
    open_blockers: int
    last_check_in_at: dt.datetime | None = None
    score: float | None = Field(
        None,
        description=(
            "0.0 to 1.0, from its latest Result check-in: progress at the final value (clamped, "
            "two decimals, half up; a milestone 1.0 done, 0.0 not), unless the owner overrode "
            "it with a reason. Null before any Result."
        ),
    )
    scored_at: dt.datetime | None = Field(None, description="When that Result was recorded.")
    context: ContextOut
    closed: bool = Field(False, description="Its objective is closed: read-only.")
    continued_from: ContinuityRef | None = Field(
        None, description="The key result of an earlier period it was carried over from."
    )
    continued_into: list[ContinuityRef] = Field(
        default_factory=list, description="Its continuations in later periods (carry-over)."
    )
    can_edit: bool
    created_at: dt.datetime
    updated_at: dt.datetime = Field(
        description="When its own fields last changed (check-ins change `last_check_in_at`)."
    )


class KeyResultIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "objective": OBJECTIVE_ID,
                    "title": "Reach 500,000 daily active users",
                    "kind": "metric",
                    "start": 0,
                    "target": 500000,
                    "unit": "DAU",
                    "context": {"why": "Usage is what pays", "baseline": "180k"},
                }
            ]
        }
    )

    objective: uuid.UUID
    title: str = Field(max_length=200)
    kind: KindValue = "metric"
    start: Decimal | None = Field(
        None, description="Required unless a milestone.", max_digits=18, decimal_places=4
    )
    target: Decimal | None = Field(
        None, description="Required unless a milestone.", max_digits=18, decimal_places=4
    )
    unit: str = Field("", max_length=30)
    direction: DirectionValue | Literal[""] = Field(
        "", description="Follows from start and target; sending it only checks it."
    )
    weight: Decimal = Field(Decimal(1), max_digits=6, decimal_places=2, ge=0)
    owner: uuid.UUID | None = Field(None, description="Defaults to the objective's owner or you.")
    description: str = ""
    visibility: VisibilityValue = "public"
    shared_with: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    context: ContextIn | None = Field(None, description="Why it matters, baseline, tactic.")


class KeyResultPatch(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"target": 400000, "updated_at": UPDATED_AT}]}
    )

    title: str = unchanged(max_length=200)
    kind: KindValue = unchanged()
    start: Decimal = unchanged(max_digits=18, decimal_places=4)
    target: Decimal = unchanged(max_digits=18, decimal_places=4)
    unit: str = unchanged(max_length=30)
    direction: DirectionValue | Literal[""] = unchanged()
    weight: Decimal = unchanged(max_digits=6, decimal_places=2, ge=0)
    owner: uuid.UUID | None = None
    description: str = unchanged()
    visibility: VisibilityValue = unchanged()
    shared_with: list[uuid.UUID] = unchanged(max_length=500)
    updated_at: dt.datetime | None = Field(
        None, description="The `updated_at` you read: a 409 if it changed since."
    )


# Initiatives --------------------------------------------------------------------------------


class InitiativeOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": INITIATIVE_ID,
                    "title": "Write the launch plan",
                    "description": "",
                    "objective": {"id": OBJECTIVE_ID, "title": "Launch the Acme product"},
                    "key_result": None,
                    "team": TEAM,
                    "owner": PERSON,
                    "state": "in_progress",
                    "due": "2026-11-30",
                    "period": PERIOD,
                    "can_edit": True,
                    "created_at": "2026-10-03T10:00:00Z",
                    "updated_at": UPDATED_AT,
                }
            ]
        }
    )

    id: str
    title: str
    description: str
    objective: TitledRef
    key_result: TitledRef | None = None
    team: Ref
    owner: PersonRef | None = None
    state: StateValue
    due: dt.date | None = None
    period: Ref = Field(description="Where the work is now: the next period once deferred.")
    can_edit: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class InitiativeIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "objective": OBJECTIVE_ID,
                    "team": TEAM["id"],
                    "title": "Write the launch plan",
                    "state": "planned",
                    "due": "2026-11-30",
                }
            ]
        }
    )

    objective: uuid.UUID
    team: uuid.UUID
    title: str = Field(max_length=200)
    key_result: uuid.UUID | None = Field(None, description="Omit for the objective as a whole.")
    owner: uuid.UUID | None = None
    state: StateValue = "planned"
    due: dt.date | None = None
    description: str = ""


class InitiativePatch(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"state": "done", "updated_at": UPDATED_AT}]}
    )

    title: str = unchanged(max_length=200)
    team: uuid.UUID = unchanged()
    key_result: uuid.UUID | None = None
    owner: uuid.UUID | None = None
    state: StateValue = unchanged()
    due: dt.date | None = None
    description: str = unchanged()
    updated_at: dt.datetime | None = Field(
        None, description="The `updated_at` you read: a 409 if it changed since."
    )


class DeferIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"note": "Waiting for the payments team"}]}
    )

    note: str = Field("", max_length=300, description="Why; kept in its history.")


# List filters -------------------------------------------------------------------------------

UPDATED_SINCE_HELP = (
    "Only what changed at or after this moment (ISO 8601, e.g. 2026-11-01T00:00:00Z; without "
    "an offset, UTC): pass the time you started your previous sync. Deleted items are not "
    "listed (they are simply gone from later reads)."
)


class ObjectiveFilters(Schema):
    period: uuid.UUID | None = Field(None, description="A period id.")
    team: uuid.UUID | None = Field(None, description="An owning team's id.")
    owner: uuid.UUID | None = Field(None, description="The owning person's member id.")
    updated_since: dt.datetime | None = Field(
        None,
        description=UPDATED_SINCE_HELP
        + " An objective is listed when it changed, when an alignment link was added to it, "
        "or when one of its key results you may see changed or was checked in on.",
    )


class KeyResultFilters(Schema):
    objective: uuid.UUID | None = Field(None, description="An objective id.")
    period: uuid.UUID | None = Field(None, description="Its objective's period id.")
    team: uuid.UUID | None = Field(None, description="A team owning its objective.")
    owner: uuid.UUID | None = Field(None, description="The owner's member id.")
    staleness: Staleness | None = Field(
        None,
        description="fresh: checked in this cadence; due: a check-in is due; stale: none for "
        "more than a cadence; still: no current Next Up, or it is overdue; dead: still for two "
        "cadences or more.",
    )
    confidence: Band | None = Field(
        None, description="Confidence band: on track 7-10, at risk 4-6, off track 0-3."
    )
    updated_since: dt.datetime | None = Field(
        None,
        description=UPDATED_SINCE_HELP + " A key result is listed when it changed or was "
        "checked in on.",
    )


class InitiativeFilters(Schema):
    objective: uuid.UUID | None = Field(None, description="An objective id.")
    period: uuid.UUID | None = Field(None, description="The period it is in now.")
    team: uuid.UUID | None = Field(None, description="The team doing the work.")
    owner: uuid.UUID | None = Field(None, description="The owner's member id.")
    state: StateValue | None = None
    updated_since: dt.datetime | None = Field(None, description=UPDATED_SINCE_HELP)
