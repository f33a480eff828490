"""Schemas of the alignment endpoints: dependencies between teams (with their thread and the
moves the caller may make), the period's alignment graph and its health report.

Ids are the opaque uids of the web UI's URLs. Ids sent in a body or a query are plain strings
checked by the gate (`cairn.orgs.access`), so that a malformed, unknown or invisible id gets
one answer, with the product's own translated message; states are checked by
`cairn.alignment.services` for the same reason. Unknown body fields are an error naming them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from cairn.alignment.models import DependencyState
from cairn.api.common import PersonRef, Ref

STATES: list[str] = list(DependencyState.values)
STATE_ENUM: dict[str, Any] = {"enum": STATES}
# The same limit as the web form's text boxes.
MAX_TEXT = 4000

UUID_EXAMPLE = "3f1c2a9e-7b4d-4e0a-9c51-2d8f6b0e4a17"


def _uuid_field(description: str, *, required: bool = False, query: bool = False) -> Any:
    # A query parameter gets a single `example`: ninja lifts a schema's `examples` list onto
    # the parameter, where OpenAPI wants a map of Example Objects instead.
    extra: dict[str, Any] = {"format": "uuid"}
    extra["example" if query else "examples"] = UUID_EXAMPLE if query else [UUID_EXAMPLE]
    return Field(... if required else None, description=description, json_schema_extra=extra)


class _Strict(Schema):
    # A misspelt field is an error naming it, not a silent no-op.
    model_config = ConfigDict(extra="forbid")


# Small references ---------------------------------------------------------------------------


class PeriodRefOut(Schema):
    id: str
    name: str
    start: dt.date
    end: dt.date
    state: str


class InitiativeRef(Schema):
    """The providing team's initiative a request points to."""

    id: str
    name: str
    state: str
    period: Ref


# Dependencies: writing ----------------------------------------------------------------------

CREATE_EXAMPLE: dict[str, Any] = {
    "objective": "9b0e6c1d-2f3a-4b5c-8d7e-6f5a4b3c2d1e",
    "key_result": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "requesting_team": "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
    "providing_team": "7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b",
    "need": "A sign-up API that takes 10,000 requests a minute.",
    "due": "2026-11-15",
    "initiative": None,
}


class DependencyIn(_Strict):
    """Ask another team for something one of your objectives (or one of its key results)
    needs. The asking team must own the objective (for a personal objective: be one of its
    owner's teams); the initiative, if any, is the providing team's, in the objective's
    period and not done yet."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CREATE_EXAMPLE]})

    objective: str = _uuid_field("The objective that needs it.", required=True)
    key_result: str | None = _uuid_field(
        "The key result that leans on it (until accepted, it is flagged over-optimistic)."
    )
    requesting_team: str = _uuid_field("The asking team.", required=True)
    providing_team: str = _uuid_field("The team asked.", required=True)
    need: str = Field(..., description="What is needed.", json_schema_extra={"maxLength": MAX_TEXT})
    due: dt.date | None = Field(None, description="Needed by.")
    initiative: str | None = _uuid_field("The providing team's initiative that does the work.")


class DependencyPatch(_Strict):
    """Reword the request, move its date or change the linked initiative (the asking side,
    while the request is proposed, accepted or declined). Send back the `updated_at` you read
    to get 409 instead of overwriting someone else's change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "need": "A sign-up API that takes 20,000 requests a minute.",
                    "due": "2026-12-01",
                    "updated_at": "2026-10-14T09:30:12.123456Z",
                }
            ]
        },
    )

    need: str | None = Field(
        None, description="What is needed.", json_schema_extra={"maxLength": MAX_TEXT}
    )
    due: dt.date | None = Field(None, description="Needed by; null clears it.")
    initiative: str | None = _uuid_field(
        "The providing team's initiative; null unlinks it. A linked initiative you may not "
        "see can be neither changed nor unlinked."
    )
    updated_at: dt.datetime | None = Field(
        None, description="The `updated_at` you read: if the request changed since, 409."
    )


class MoveIn(_Strict):
    """One move of the state machine, with the comment that explains it. The providing team
    accepts, declines, makes it a shared OKR or defers it; the asking team withdraws it or
    asks again after a decline."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"state": "accepted", "comment": "We will ship it in sprint 42."},
                {"state": "declined", "comment": "No capacity this quarter; try the SDK."},
            ]
        },
    )

    state: str = Field(..., description="The state to move to.", json_schema_extra=STATE_ENUM)
    comment: str = Field(
        "",
        description="Why, for the discussion (required).",
        json_schema_extra={"maxLength": MAX_TEXT},
    )


class CommentIn(_Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"comment": "Would a first version by November help?"}]},
    )

    comment: str = Field("", description="The comment.", json_schema_extra={"maxLength": MAX_TEXT})


class DependencyFilters(Schema):
    period: str | None = _uuid_field(
        "Only requests raised from this period's objectives.", query=True
    )
    team: str | None = _uuid_field("Only requests this team asks or is asked.", query=True)
    state: str | None = Field(
        None, description="Only requests in this state.", json_schema_extra=STATE_ENUM
    )
    updated_since: dt.datetime | None = Field(
        None,
        description=(
            "Only requests changed at or after this time (a state change or a comment "
            "counts): keep the last `updated_at` you saw to sync incrementally."
        ),
    )


class PeriodParams(Schema):
    period: str | None = _uuid_field(
        "The period (its id); without it, the current period.", query=True
    )


# Dependencies: reading ----------------------------------------------------------------------


class EventOut(Schema):
    """One line of the thread: a comment, or a state change with the comment explaining it."""

    id: str
    author: PersonRef | None
    from_state: str | None = Field(None, description="Set on a state change.")
    to_state: str | None = Field(None, description="Set on a state change.")
    comment: str
    at: dt.datetime


DEPENDENCY_EXAMPLE: dict[str, Any] = {
    "id": "0c9b8a7f-6e5d-4c3b-a291-8f7e6d5c4b3a",
    "period": {"id": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", "name": "2026 Q4"},
    "objective": {"id": "9b0e6c1d-2f3a-4b5c-8d7e-6f5a4b3c2d1e", "name": "Launch the product"},
    "key_result": {"id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "name": "Reach 500,000 DAU"},
    "requesting_team": {"id": "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", "name": "Product"},
    "providing_team": {"id": "7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b", "name": "Platform"},
    "need": "A sign-up API that takes 10,000 requests a minute.",
    "due": "2026-11-15",
    "initiative": None,
    "initiative_private": False,
    "state": "accepted",
    "created_by": {"id": "4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f", "name": "Mia Member"},
    "created_at": "2026-10-02T08:15:00Z",
    "updated_at": "2026-10-03T14:02:41.512000Z",
    "asked_at": "2026-10-02T08:15:00Z",
    "answered_at": "2026-10-03T14:02:41.512000Z",
}


class DependencyOut(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [DEPENDENCY_EXAMPLE]})

    id: str
    period: Ref = Field(..., description="The period of the objective it is raised from.")
    objective: Ref
    key_result: Ref | None
    requesting_team: Ref
    providing_team: Ref
    need: str
    due: dt.date | None
    initiative: InitiativeRef | None = Field(
        None, description="The providing team's initiative, when you may see it."
    )
    initiative_private: bool = Field(
        False, description="An initiative is linked that you may not see."
    )
    state: str = Field(..., json_schema_extra=STATE_ENUM)
    created_by: PersonRef | None
    created_at: dt.datetime
    updated_at: dt.datetime = Field(..., description="Send it back with PATCH.")
    asked_at: dt.datetime = Field(..., description="When it was (last) asked.")
    answered_at: dt.datetime | None = Field(
        None, description="The providing team's first answer since it was asked."
    )


class DependencyDetailOut(DependencyOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **DEPENDENCY_EXAMPLE,
                    "moves": ["withdrawn"],
                    "can_edit": True,
                    "thread": [
                        {
                            "id": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d",
                            "author": {
                                "id": "8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1a",
                                "name": "Pia Platform",
                            },
                            "from_state": "proposed",
                            "to_state": "accepted",
                            "comment": "We will ship it in sprint 42.",
                            "at": "2026-10-03T14:02:41.512000Z",
                        }
                    ],
                }
            ]
        }
    )

    moves: list[str] = Field(..., description="The states you may move it to now (POST .../state).")
    can_edit: bool = Field(..., description="Whether you may PATCH it now.")
    thread: list[EventOut] = Field(..., description="Comments and state changes, oldest first.")


# The alignment graph ------------------------------------------------------------------------


class ObjectiveNode(Schema):
    """An objective you may see."""

    id: str
    kind: Literal["objective"] = "objective"
    redacted: Literal[False] = False
    title: str
    period: Ref
    in_period: bool = Field(
        ..., description="False for an objective of another period linked to this one."
    )
    private: bool
    owner_teams: list[Ref] = Field(..., description="Several for a shared OKR.")
    owner_person: PersonRef | None
    progress: float | None = Field(
        None,
        description=(
            "0 to 1 over the key results you may see; null without any (and for objectives of "
            "other periods: read the objective)."
        ),
    )


class RedactedNode(Schema):
    """An objective you may not see, in an alignment chain of one you may see: it keeps its
    place in the structure and nothing else. Its id (`p-1`, `p-2`, ...) is a counter for this
    graph only, as on the map page."""

    id: str
    kind: Literal["objective"] = "objective"
    redacted: Literal[True] = True


class TeamNode(Schema):
    """A team owning an objective on the graph or party to a dependency (and the teams above
    it): the end of dependency edges."""

    id: str
    kind: Literal["team"] = "team"
    name: str
    parent: str | None = Field(None, description="The team above it.")


class GraphEdge(Schema):
    """`aligned_to`: objective `from` contributes to objective `to` (through one of its key
    results, `via_key_result`, or a key result you may not see, `via_private_key_result`).
    `dependency`: objective `from` asks team `to` for something (open requests only: made
    shared and withdrawn ones are no sideways link any more)."""

    # `from` is a Python keyword: the field is `from_`, written and read as "from".
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(..., alias="from")
    to: str
    kind: Literal["aligned_to", "dependency"]
    via_key_result: Ref | None = None
    via_private_key_result: bool = False
    dependency: str | None = Field(None, description="The dependency's id.")
    state: str | None = Field(None, description="The dependency's state.")
    requesting_team: str | None = Field(None, description="The asking team's id.")


GRAPH_EXAMPLE: dict[str, Any] = {
    "period": {
        "id": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
        "name": "2026 Q4",
        "start": "2026-10-01",
        "end": "2026-12-31",
        "state": "active",
    },
    "nodes": [
        {
            "id": "9b0e6c1d-2f3a-4b5c-8d7e-6f5a4b3c2d1e",
            "kind": "objective",
            "redacted": False,
            "title": "Launch the product",
            "period": {"id": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", "name": "2026 Q4"},
            "in_period": True,
            "private": False,
            "owner_teams": [{"id": "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", "name": "Product"}],
            "owner_person": None,
            "progress": 0.42,
        },
        {"id": "p-1", "kind": "objective", "redacted": True},
        {
            "id": "7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b",
            "kind": "team",
            "name": "Platform",
            "parent": None,
        },
    ],
    "edges": [
        {
            "from": "9b0e6c1d-2f3a-4b5c-8d7e-6f5a4b3c2d1e",
            "to": "p-1",
            "kind": "aligned_to",
            "via_key_result": None,
            "via_private_key_result": False,
            "dependency": None,
            "state": None,
            "requesting_team": None,
        },
        {
            "from": "9b0e6c1d-2f3a-4b5c-8d7e-6f5a4b3c2d1e",
            "to": "7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b",
            "kind": "dependency",
            "via_key_result": {
                "id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                "name": "Reach 500,000 DAU",
            },
            "via_private_key_result": False,
            "dependency": "0c9b8a7f-6e5d-4c3b-a291-8f7e6d5c4b3a",
            "state": "proposed",
            "requesting_team": "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
        },
    ],
}


class AlignmentGraphOut(Schema):
    """The period's alignment graph as you may see it: the same graph as the map page."""

    model_config = ConfigDict(json_schema_extra={"examples": [GRAPH_EXAMPLE]})

    period: PeriodRefOut | None = Field(..., description="Null while there is no period at all.")
    nodes: list[ObjectiveNode | RedactedNode | TeamNode]
    edges: list[GraphEdge]


# The health report --------------------------------------------------------------------------


class UnalignedOut(Schema):
    """An objective below the top level that contributes to nothing."""

    objective: Ref
    private: bool
    owner_teams: list[Ref]
    owner_person: PersonRef | None
    url: str = Field(..., description="Where to fix it: the objective's alignment section.")


class SiloOut(Schema):
    """A team with objectives in the period and no sideways link."""

    team: Ref
    objectives: int
    url: str = Field(..., description="The team's alignment page for the period.")


class UnansweredOut(Schema):
    """A request still waiting for its first answer more than a week after it was asked."""

    dependency: str = Field(..., description="The dependency's id.")
    need: str
    objective: Ref
    requesting_team: Ref
    providing_team: Ref
    asked_at: dt.datetime
    days: int
    url: str


class OverOptimisticOut(Schema):
    """A key result leaning on a dependency the other team has not accepted."""

    key_result: Ref
    objective: Ref
    private: bool
    unaccepted_dependencies: int
    url: str = Field(..., description="The objective's dependencies.")


class SharedWithoutInitiativeOut(Schema):
    """A shared OKR where an owning team has no initiative yet."""

    objective: Ref
    owner_teams: list[Ref]
    missing: list[Ref] = Field(..., description="The owning teams without an initiative.")
    url: str


class HealthOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": GRAPH_EXAMPLE["period"],
                    "objective_count": 12,
                    "finding_count": 1,
                    "private_hidden": 2,
                    "unaligned": [],
                    "silos": [
                        {
                            "team": {
                                "id": "7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b",
                                "name": "Platform",
                            },
                            "objectives": 3,
                            "url": "/o/acme/teams/7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b/alignment/",
                        }
                    ],
                    "unanswered": [],
                    "over_optimistic": [],
                    "shared_without_initiative": [],
                }
            ]
        }
    )

    period: PeriodRefOut | None = Field(..., description="Null while there is no period at all.")
    objective_count: int = Field(..., description="Objectives of the period you may see.")
    finding_count: int
    private_hidden: int = Field(
        ..., description="Private objectives and key results of the period you may not see."
    )
    unaligned: list[UnalignedOut]
    silos: list[SiloOut]
    unanswered: list[UnansweredOut]
    over_optimistic: list[OverOptimisticOut]
    shared_without_initiative: list[SharedWithoutInitiativeOut]
