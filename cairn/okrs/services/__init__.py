"""Writes on objectives, key results, initiatives and alignment links.

Each function is keyword-only, validates before it saves, runs in one transaction and records
its history event. Authorisation (may this member see / change this object) is the caller's
job through `orgs.access`; rules about who may own what live here because they are rules of
the domain, whichever face (web UI, API, CLI) asks.
"""

from cairn.okrs.services.alignment import align, unalign
from cairn.okrs.services.common import (
    INITIATIVE_FIELDS,
    KEY_RESULT_FIELDS,
    MATERIAL_FIELDS,
    OBJECTIVE_FIELDS,
)
from cairn.okrs.services.initiatives import (
    create_initiative,
    defer_initiative,
    defer_target,
    delete_initiative,
    next_period_or_error,
    update_initiative,
)
from cairn.okrs.services.key_results import (
    create_key_result,
    delete_key_result,
    set_current_value,
    update_key_result,
)
from cairn.okrs.services.objectives import (
    add_owning_team,
    create_objective,
    delete_objective,
    update_objective,
)

__all__ = [
    "INITIATIVE_FIELDS",
    "KEY_RESULT_FIELDS",
    "MATERIAL_FIELDS",
    "OBJECTIVE_FIELDS",
    "add_owning_team",
    "align",
    "create_initiative",
    "create_key_result",
    "create_objective",
    "defer_initiative",
    "defer_target",
    "delete_initiative",
    "delete_key_result",
    "delete_objective",
    "next_period_or_error",
    "set_current_value",
    "unalign",
    "update_initiative",
    "update_key_result",
    "update_objective",
]
