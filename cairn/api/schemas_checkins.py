"""Schemas of the check-in endpoints: check-ins (written and read in sections, as the check-in
issue describes them), blockers and the inbox.

A check-in is written with any subset of its sections and read back in the same shape, with
`id`, `author` and `at` added. Ranges and choices are documented here but checked by
`cairn.checkins.services` (as for the web form), so that the messages are the product's own,
translated, and name the section field (`confidence.level`).

The `result` section (near and after a period's end) holds the final value, the score (computed
from progress unless the key result's owner overrides it, with a reason) and a short
retrospective. Unknown fields are an error rather than silently dropped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from cairn.api.common import PageParams, PersonRef, Ref

SECTIONS = ("progress", "confidence", "next_up", "reflection", "context", "result")
OUTCOMES: list[Any] = ["done", "partly", "not_done"]
BANDS: list[Any] = ["on_track", "at_risk", "off_track"]

CREATE_EXAMPLE: dict[str, Any] = {
    "progress": {"value": 34, "comment": "Two more teams onboarded; signup flow fixed."},
    "confidence": {
        "level": 6,
        "needs": "A second reviewer for the pricing page.",
        "mitigation": "Pair with the design team on Thursdays.",
    },
    "next_up": {"plan": "Ship the onboarding e-mails and measure activation.", "due": "2026-11-20"},
    "reflection": {"outcome": "partly", "learned": "E-mails need a week of warm-up."},
    "context": {
        "why": "Activation is the first step to retention.",
        "baseline": "21% of signups activate today.",
        "tactic": "Guided onboarding for every new team.",
    },
    "insight": True,
    "blocker": True,
}

# A Result, written near or after the period's end (two weeks before it, until it closes).
RESULT_EXAMPLE: dict[str, Any] = {
    "result": {
        "value": 182,
        "score": 0.8,
        "override_reason": "The last 18 signed after the freeze; counted next quarter.",
        "worked": "Weekly demos with the sales team.",
        "did_not_work": "Cold e-mail campaigns.",
        "learned": "Start partner talks a quarter earlier.",
    },
    "confidence": {"level": 8},
}
SCORE_RULE = (
    "Score = progress at the final value (the share of the way from start to target, in the "
    "key result's direction), clamped to 0.0-1.0 and rounded half up to two decimals; a "
    "milestone scores 1.0 when done, 0.0 otherwise."
)


class _Strict(Schema):
    # A misspelt or unsupported section (e.g. `result`) is an error naming it, not a no-op.
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_null_characters(cls, value: Any) -> Any:
        # As Django's form fields: PostgreSQL cannot store them, and no person types one.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError(str(ProhibitNullCharactersValidator.message))
        return value


# Writing ------------------------------------------------------------------------------------


class ProgressIn(_Strict):
    value: int | float | bool = Field(
        ...,
        description=(
            "The key result's new value. A milestone takes true/false (or 1/0); a percentage "
            "is between 0 and 100."
        ),
    )
    comment: str = Field("", description="What changed, what was learned.")


class ConfidenceIn(_Strict):
    level: int = Field(
        ...,
        description="Confidence from 0 (off track) to 10 (on track).",
        json_schema_extra={"minimum": 0, "maximum": 10},
    )
    needs: str = Field("", description="What is needed or in the way.")
    mitigation: str = Field("", description="What will reduce the risk.")


class NextUpIn(_Strict):
    plan: str = Field(..., description="What will be done in the next one to two weeks, and how.")
    due: dt.date | None = Field(
        None,
        description="From today on; without it, the organization's next check-in day.",
    )


class ReflectionIn(_Strict):
    outcome: str = Field(
        ...,
        description="Did the previous Next Up happen? Needs an earlier, current Next Up.",
        json_schema_extra={"enum": OUTCOMES},
    )
    learned: str = Field("", description="What was learned.")


class CheckInContextIn(_Strict):
    why: str = Field("", description="Why this result matters.")
    baseline: str = Field("", description="Today's baseline.")
    tactic: str = Field("", description="The tactic for the rest of the period.")


class CheckInResultIn(_Strict):
    value: int | float | bool = Field(
        ...,
        description=(
            "The final value, validated as a progress value; it also becomes the key result's "
            "current value. A milestone takes true/false (or 1/0)."
        ),
    )
    score: float | None = Field(
        None,
        description=(
            f"{SCORE_RULE} Send a score only to override the computed one: only who may edit "
            "the key result may, and a score that differs needs `override_reason`."
        ),
        json_schema_extra={"minimum": 0, "maximum": 1},
    )
    override_reason: str = Field("", description="Why the score differs from the computed one.")
    worked: str = Field("", description="Retrospective: what worked.")
    did_not_work: str = Field("", description="Retrospective: what did not work.")
    learned: str = Field("", description="Retrospective: what we learned.")


class CheckInIn(_Strict):
    """Any subset of the sections, at least one; the flags alone are not a check-in."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [CREATE_EXAMPLE],
            # Documents the rule; `record_check_in` enforces it, with its own message.
            "anyOf": [{"required": [section]} for section in SECTIONS],
        },
    )

    progress: ProgressIn | None = None
    confidence: ConfidenceIn | None = None
    next_up: NextUpIn | None = None
    reflection: ReflectionIn | None = None
    context: CheckInContextIn | None = None
    result: CheckInResultIn | None = Field(
        None,
        description=(
            "The Result, from two weeks before the period's end until the objective is closed."
        ),
    )
    insight: bool = Field(False, description="Flag it as an insight worth sharing.")
    blocker: bool = Field(False, description="Flag it as a blocker: something is in the way.")


class ProgressTextIn(_Strict):
    comment: str


class ConfidenceTextIn(_Strict):
    needs: str | None = None
    mitigation: str | None = None


class NextUpTextIn(_Strict):
    plan: str


class ReflectionTextIn(_Strict):
    learned: str


class ContextTextIn(_Strict):
    why: str | None = None
    baseline: str | None = None
    tactic: str | None = None


class CheckInResultTextIn(_Strict):
    override_reason: str | None = Field(
        None, description="Only on an overridden score, and not emptied."
    )
    worked: str | None = None
    did_not_work: str | None = None
    learned: str | None = None


class CorrectionIn(_Strict):
    """The author's correction of the words of their own check-in, within 30 minutes of it,
    in the same sections as it was written. Values (progress value, confidence level, dates,
    outcome, flags) are not correctable: record a new check-in instead. The earlier text is
    kept."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"progress": {"comment": "Three more teams onboarded, not two."}}]
        },
    )

    progress: ProgressTextIn | None = None
    confidence: ConfidenceTextIn | None = None
    next_up: NextUpTextIn | None = None
    reflection: ReflectionTextIn | None = None
    context: ContextTextIn | None = None
    result: CheckInResultTextIn | None = None
    updated_at: dt.datetime | None = Field(
        None, description="The `updated_at` you read; if it changed since, the answer is 409."
    )


class ResolveIn(_Strict):
    how: str = Field(..., max_length=2000, description="How the blocker was resolved.")


# Reading ------------------------------------------------------------------------------------


class ProgressOut(Schema):
    value: int | float
    comment: str


class ConfidenceOut(Schema):
    level: int
    band: str = Field(..., json_schema_extra={"enum": BANDS})
    needs: str
    mitigation: str


class NextUpOut(Schema):
    plan: str
    due: dt.date | None


class ReflectionOut(Schema):
    outcome: str = Field(..., json_schema_extra={"enum": OUTCOMES})
    learned: str
    reflects_on: str | None = Field(None, description="The check-in whose Next Up it is about.")


class CheckInContextOut(Schema):
    why: str
    baseline: str
    tactic: str


class CheckInResultOut(Schema):
    value: int | float = Field(..., description="The final value (a milestone: 1 done, 0 not).")
    score: float = Field(..., description=f"0.0 to 1.0. {SCORE_RULE}")
    score_overridden: bool = Field(..., description="The owner overrode the computed score.")
    override_reason: str
    worked: str
    did_not_work: str
    learned: str


class ResolutionOut(Schema):
    at: dt.datetime
    by: PersonRef | None
    how: str


class CheckInOut(Schema):
    """A check-in as written, plus `id`, `author` and `at`. A section it does not have is
    null. A deleted check-in is a tombstone: `deleted` is true, who and when are given, and
    it has no sections, flags or text (as on the key result page)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5b0f7a52-2f1c-4f4e-9a57-1d1f3c2b9e11",
                    "key_result": {
                        "id": "0c4e6a9e-8d3b-4b8f-a3f1-6b1e2d9c7f20",
                        "name": "Reach 40% activation",
                    },
                    "author": {
                        "id": "9a1d2c3b-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
                        "name": "Mia Member",
                        "email": "mia@example.com",
                    },
                    "at": "2026-11-11T12:00:00Z",
                    **{k: v for k, v in CREATE_EXAMPLE.items() if k not in ("reflection",)},
                    "confidence": {**CREATE_EXAMPLE["confidence"], "band": "at_risk"},
                    "reflection": {
                        **CREATE_EXAMPLE["reflection"],
                        "reflects_on": "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9",
                    },
                    "result": None,
                    "resolution": None,
                    "edited_at": None,
                    "deleted": False,
                    "deleted_at": None,
                    "deleted_by": None,
                    "updated_at": "2026-11-11T12:00:00Z",
                },
                {
                    "id": "7c1d9e3a-6b2f-4d8e-9a0b-2c3d4e5f6a7b",
                    "key_result": {
                        "id": "0c4e6a9e-8d3b-4b8f-a3f1-6b1e2d9c7f20",
                        "name": "Sign 200 partners",
                    },
                    "author": {
                        "id": "9a1d2c3b-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
                        "name": "Mia Member",
                        "email": "mia@example.com",
                    },
                    "at": "2026-12-22T09:30:00Z",
                    # The final value is also the latest progress value.
                    "progress": {"value": 182, "comment": ""},
                    "confidence": {"level": 8, "band": "on_track", "needs": "", "mitigation": ""},
                    "next_up": None,
                    "reflection": None,
                    "context": None,
                    "result": {
                        **RESULT_EXAMPLE["result"],
                        "score_overridden": True,
                    },
                    "insight": False,
                    "blocker": False,
                    "resolution": None,
                    "edited_at": None,
                    "deleted": False,
                    "deleted_at": None,
                    "deleted_by": None,
                    "updated_at": "2026-12-22T09:30:00Z",
                },
            ]
        }
    )

    id: str
    key_result: Ref
    author: PersonRef | None
    at: dt.datetime
    progress: ProgressOut | None = None
    confidence: ConfidenceOut | None = None
    next_up: NextUpOut | None = None
    reflection: ReflectionOut | None = None
    context: CheckInContextOut | None = None
    result: CheckInResultOut | None = None
    insight: bool
    blocker: bool
    resolution: ResolutionOut | None = Field(
        None, description="For a resolved blocker: who resolved it, when and how."
    )
    edited_at: dt.datetime | None = Field(None, description="When its author corrected it.")
    deleted: bool
    deleted_at: dt.datetime | None = None
    deleted_by: PersonRef | None = None
    updated_at: dt.datetime = Field(
        ..., description="Its latest change (written, corrected, resolved or deleted)."
    )


class CheckInFilters(PageParams):
    updated_since: dt.datetime | None = Field(
        None,
        description=(
            "Only check-ins written, corrected, resolved or deleted at or after this moment "
            "(for incremental sync; a time without a zone is UTC)."
        ),
    )


class BlockerOut(Schema):
    """A blocker: the check-in that raised it, where it is, and who can help resolve it."""

    id: str = Field(..., description="The id of the check-in that raised it.")
    at: dt.datetime
    author: PersonRef | None
    key_result: Ref
    objective: Ref
    period: Ref
    owning_teams: list[Ref]
    resolvers: list[str] = Field(
        ...,
        description=(
            "The people to ask first (the key result's owner, who raised it); members of the "
            "owning teams and admins can resolve it too, as can any writer who sees it."
        ),
    )
    open: bool
    resolution: ResolutionOut | None = None
    can_resolve: bool = Field(..., description="Whether the caller may resolve it.")
    check_in: CheckInOut


class BlockerFilters(PageParams):
    team: str | None = Field(
        None, description="A team's id: its key results, its sub-teams' and its people's."
    )
    period: str | None = Field(None, description="A period's id.")
    state: str = Field(
        "open",
        description="open (oldest first), resolved (latest first) or all (oldest first).",
        json_schema_extra={"enum": ["open", "resolved", "all"]},
    )


# The inbox ----------------------------------------------------------------------------------


class InboxKeyResult(Schema):
    id: str
    title: str
    objective: Ref
    period: Ref
    owner: PersonRef | None
    visibility: str
    current_value: int | float
    progress: float
    confidence: int | None
    next_up_due: dt.date | None
    last_check_in_at: dt.datetime | None
    staleness: str
    open_blockers: int


class InboxRowOut(Schema):
    key_result: InboxKeyResult
    due: bool = Field(..., description="No check-in yet in this cadence window.")
    without_next_up: bool
    next_up_overdue: bool
    needs_attention: bool


class RequestOut(Schema):
    """A dependency another team asked of one of the caller's teams, not yet answered."""

    id: str
    need: str
    state: str
    requesting_team: Ref
    providing_team: Ref
    objective: Ref
    key_result: Ref | None
    due: dt.date | None
    created_at: dt.datetime


class NextSyncOut(Schema):
    objective: Ref
    period: Ref
    next_sync_on: dt.date | None = Field(..., description="Null: no sync recorded yet.")
    last_held_on: dt.date | None
    overdue: bool
    is_today: bool


class MissingResultOut(Schema):
    """One of the caller's key results whose period's results are open (from two weeks before
    its end until it closes) and that has no score yet."""

    key_result: InboxKeyResult
    period_end: dt.date
    period_ended: bool


class Window(Schema):
    start: dt.date
    end: dt.date


class InboxOut(Schema):
    """The caller's week, as on the inbox page: their key results (those needing attention
    first, then those up to date), the results missing at a period's end, requests to their
    teams, next syncs of their shared OKRs, the blockers they raised and those on their teams'
    key results."""

    today: dt.date
    window: Window
    key_results: list[InboxRowOut]
    missing_results: list[MissingResultOut] = Field(
        description=(
            "Key results the caller owns (or, without an owner, whose objective they own) in "
            "periods whose results are open, with no score yet; the period ending first first."
        )
    )
    requests: list[RequestOut]
    next_syncs: list[NextSyncOut]
    my_blockers: list[BlockerOut]
    team_blockers: list[BlockerOut]
