"""API v1 schemas for closing a period: the checklist, close and reopen, carry-over.

Input and output are separate schemas per operation (STYLE.md, 5); ids are the opaque uids
of the web UI's URLs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from cairn.api.common import PersonRef, Ref
from cairn.api.schemas_okrs import (
    INITIATIVE_ID,
    KEY_RESULT_ID,
    OBJECTIVE_ID,
    PERIOD,
    PERSON,
    TEAM,
    StateValue,
    TitledRef,
)

NEXT_PERIOD: dict[str, Any] = {"id": "2b3c4d5e-6f70-4a81-9b2c-3d4e5f607182", "name": "2027 Q1"}
CHECK_IN_ID = "8c7b6a59-4837-4261-9f0e-d1c2b3a49586"


class ClosureOut(Schema):
    """Who closed the whole period, or (with `team`) a team's part of it, and when."""

    closed_at: dt.datetime
    closed_by: PersonRef | None = None
    team: Ref | None = Field(None, description="Set for a team's closure of its own OKRs.")


class ChecklistCounts(Schema):
    missing_results: int = Field(description="Key results without a Result (no score yet).")
    open_blockers: int
    open_initiatives: int = Field(description="Initiatives still planned or in progress.")
    unfinished_objectives: int = Field(
        description="Objectives with a key result not achieved (by the achieved threshold)."
    )


class MissingResult(Schema):
    id: str
    title: str
    objective: TitledRef
    owner: PersonRef | None = None


class OpenBlocker(Schema):
    id: str = Field(description="The check-in that raised it (resolve it on /blockers).")
    text: str
    key_result: TitledRef
    author: PersonRef | None = None
    at: dt.datetime


class OpenInitiative(Schema):
    id: str
    title: str
    state: StateValue
    objective: TitledRef
    key_result: TitledRef | None = None
    team: Ref


class CarryKeyResult(Schema):
    id: str
    title: str
    unfinished: bool = Field(description="Not achieved: offered for carry-over by default.")
    score: float | None = None
    progress: float
    continued_in: TitledRef | None = Field(
        None, description="Its continuation in the next period, once carried over."
    )


class UnfinishedObjective(Schema):
    id: str
    title: str
    can_carry_over: bool = Field(description="Whether you may carry it over (its owners may).")
    continued_in: TitledRef | None = None
    key_results: list[CarryKeyResult] = Field(description="The key results you may see.")


class ChecklistOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": PERIOD,
                    "team": TEAM,
                    "state": "active",
                    "closed": None,
                    "counts": {
                        "missing_results": 1,
                        "open_blockers": 1,
                        "open_initiatives": 1,
                        "unfinished_objectives": 1,
                    },
                    "missing_results": [
                        {
                            "id": KEY_RESULT_ID,
                            "title": "Reach 500,000 daily active users",
                            "objective": {"id": OBJECTIVE_ID, "title": "Launch the Acme product"},
                            "owner": PERSON,
                        }
                    ],
                    "open_blockers": [
                        {
                            "id": CHECK_IN_ID,
                            "text": "Waiting for the payments API",
                            "key_result": {
                                "id": KEY_RESULT_ID,
                                "title": "Reach 500,000 daily active users",
                            },
                            "author": PERSON,
                            "at": "2026-12-01T09:30:00Z",
                        }
                    ],
                    "open_initiatives": [
                        {
                            "id": INITIATIVE_ID,
                            "title": "Referral flow",
                            "state": "in_progress",
                            "objective": {"id": OBJECTIVE_ID, "title": "Launch the Acme product"},
                            "key_result": None,
                            "team": TEAM,
                        }
                    ],
                    "unfinished_objectives": [
                        {
                            "id": OBJECTIVE_ID,
                            "title": "Launch the Acme product",
                            "can_carry_over": True,
                            "continued_in": None,
                            "key_results": [
                                {
                                    "id": KEY_RESULT_ID,
                                    "title": "Reach 500,000 daily active users",
                                    "unfinished": True,
                                    "score": None,
                                    "progress": 0.42,
                                    "continued_in": None,
                                }
                            ],
                        }
                    ],
                    "next_period": NEXT_PERIOD,
                    "team_closures": [],
                }
            ]
        }
    )

    period: Ref
    team: Ref | None = Field(None, description="The team scope (`?team=`), if any.")
    state: Literal["planning", "active", "closed"]
    closed: ClosureOut | None = Field(
        None, description="The period's closure, or in team scope the team's; null while open."
    )
    counts: ChecklistCounts
    missing_results: list[MissingResult]
    open_blockers: list[OpenBlocker]
    open_initiatives: list[OpenInitiative]
    unfinished_objectives: list[UnfinishedObjective]
    next_period: Ref | None = Field(
        None, description="Where carry-over goes; null until it is created."
    )
    team_closures: list[ClosureOut] = Field(
        description="Organization scope: the teams that closed it for their own OKRs."
    )


class CloseIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [{"note": "Quarter review done."}]})

    note: str = Field("", max_length=2000, description="Kept in the period's history.")


class ReopenIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Two results were recorded late."}]}
    )

    reason: str = Field(max_length=2000, description="Required; kept in the period's history.")


class CarryOverIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"key_results": [KEY_RESULT_ID], "period": None}]}
    )

    key_results: list[uuid.UUID] | None = Field(
        None,
        max_length=200,
        description="The key results to continue (each starts where it ended); omitted or "
        "null: those not achieved. Carrying over again adds only those not continued yet.",
    )
    period: uuid.UUID | None = Field(
        None,
        description="The period to continue in; null: the next one of the same kind (a 422 "
        "on `period` when it does not exist yet: create it, then carry over).",
    )
