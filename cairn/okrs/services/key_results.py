"""Key results: create, change (material changes date the context), delete."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cairn.notifications import webhooks
from cairn.okrs import closing
from cairn.okrs.models import (
    Direction,
    KeyResult,
    KeyResultKind,
    Objective,
    Visibility,
)
from cairn.okrs.services.common import (
    KEY_RESULT_FIELDS,
    MATERIAL_FIELDS,
    _check_owner,
    _check_visibility,
    _same_org,
    _set_shared_with,
)
from cairn.okrs.services.initiatives import _record_cascaded_initiatives
from cairn.orgs import history
from cairn.orgs.models import Member

# Key results --------------------------------------------------------------------------------


def _normalise_key_result(values: dict[str, Any]) -> dict[str, Any]:
    """Apply the rules of a key result's kind and reject impossible combinations."""
    kind = values["kind"]
    if kind not in KeyResultKind.values:
        raise ValidationError({"kind": _("Choose metric, percentage or milestone.")})
    if kind == KeyResultKind.MILESTONE:
        values.update(
            start_value=Decimal(0), target_value=Decimal(1), unit="", direction=Direction.UP
        )
    elif kind == KeyResultKind.PERCENTAGE:
        values["unit"] = "%"
        for field in ("start_value", "target_value"):
            if not Decimal(0) <= Decimal(values[field]) <= Decimal(100):
                raise ValidationError({field: _("A percentage is between 0 and 100.")})
    start, target = Decimal(values["start_value"]), Decimal(values["target_value"])
    if start == target:
        raise ValidationError({"target_value": _("The target must differ from the start.")})
    if kind != KeyResultKind.MILESTONE:
        expected = Direction.UP if target > start else Direction.DOWN
        if values.get("direction") and values["direction"] != expected:
            raise ValidationError(
                {
                    "direction": _("The target is above the start, so the direction is “increase”.")
                    if expected == Direction.UP
                    else _("The target is below the start, so the direction is “decrease”.")
                }
            )
        values["direction"] = expected
    if Decimal(values.get("weight", 1)) < 0:
        raise ValidationError({"weight": _("The weight must not be negative.")})
    return values


@transaction.atomic
def create_key_result(
    *,
    actor: Member,
    objective: Objective,
    title: str,
    kind: str = KeyResultKind.METRIC,
    start_value: Decimal | int | float = 0,
    target_value: Decimal | int | float = 100,
    unit: str = "",
    direction: str = "",
    weight: Decimal | int | float = 1,
    owner: Member | None = None,
    description: str = "",
    visibility: str = Visibility.PUBLIC,
    shared_with: Iterable[Member] = (),
    context_why: str = "",
    context_baseline: str = "",
    context_tactic: str = "",
    continued_from: KeyResult | None = None,
) -> KeyResult:
    _same_org(actor, objective, owner, continued_from)
    closing.ensure_open(objective)
    _check_owner(owner, "owner")
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("A key result needs a title.")})
    _check_visibility(visibility)
    values = _normalise_key_result(
        {
            "kind": kind,
            "start_value": Decimal(str(start_value)),
            "target_value": Decimal(str(target_value)),
            "unit": unit,
            "direction": direction,
            "weight": Decimal(str(weight)),
        }
    )
    position = (objective.key_results.aggregate(top=Max("position"))["top"] or 0) + 1
    key_result = KeyResult.objects.create(
        organization_id=actor.organization_id,
        objective=objective,
        title=title,
        description=description,
        owner=owner or objective.owner_person or actor,
        current_value=values["start_value"],
        context_why=context_why.strip(),
        context_baseline=context_baseline.strip(),
        context_tactic=context_tactic.strip(),
        position=position,
        visibility=visibility,
        continued_from=continued_from,
        created_by=actor,
        **values,
    )
    shared_change = _set_shared_with(key_result, shared_with, actor)
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.CREATED,
        target_kind="key_result",
        target_uid=key_result.uid,
        target_label=key_result.title,
        changes={
            **{
                key: [None, value]
                for key, value in history.snapshot(key_result, KEY_RESULT_FIELDS).items()
                if value not in (None, "")
            },
            **({"shared_with": shared_change} if shared_change else {}),
            **(
                {"continued_from": [None, f"{continued_from} ({continued_from.objective.period})"]}
                if continued_from is not None
                else {}
            ),
        },
    )
    return key_result


@transaction.atomic
def update_key_result(
    *,
    key_result: KeyResult,
    actor: Member,
    shared_with: Iterable[Member] | None = None,
    **fields: Any,
) -> KeyResult:
    unknown = set(fields) - set(KEY_RESULT_FIELDS)
    if unknown:
        raise TypeError(f"unknown key result fields: {sorted(unknown)}")
    _same_org(actor, key_result)
    closing.ensure_key_result_open(key_result)
    if "visibility" in fields:
        _check_visibility(fields["visibility"])
    for number in ("start_value", "target_value", "weight"):
        # Through str() so that a float 0.1 is stored and logged as 0.1, as on create.
        if number in fields:
            fields[number] = Decimal(str(fields[number]))
    if "title" in fields:
        fields["title"] = fields["title"].strip()
        if not fields["title"]:
            raise ValidationError({"title": _("A key result needs a title.")})
    _same_org(actor, fields.get("owner"))
    _check_owner(fields.get("owner"), "owner")
    merged = {
        name: fields.get(name, getattr(key_result, name))
        for name in ("kind", "start_value", "target_value", "unit", "direction", "weight")
    }
    if "direction" not in fields:
        merged["direction"] = ""
    normalised = _normalise_key_result(merged)
    fields.update(normalised)
    kind_changed = fields["kind"] != key_result.kind
    before = history.snapshot(key_result, KEY_RESULT_FIELDS)
    material = history.diff(
        {name: before[name] for name in MATERIAL_FIELDS},
        {
            name: history.snapshot_value(fields.get(name, getattr(key_result, name)))
            for name in MATERIAL_FIELDS
        },
    )
    for key, value in fields.items():
        setattr(key_result, key, value)
    update_fields = [*fields, "updated_at"]
    if kind_changed:
        # A new kind measures on a new scale: the old value means nothing on it.
        key_result.current_value = key_result.start_value
        key_result.scale_changed_at = timezone.now()
        update_fields += ["current_value", "scale_changed_at"]
    if material and key_result.has_context and not key_result.context_outdated:
        key_result.context_outdated = True
        update_fields.append("context_outdated")
    if key_result.score is not None and set(material) - {"owner"}:
        # The Result was scored against the old start or target: it must be recorded again.
        key_result.score, key_result.scored_at = None, None
        key_result.score_reset_at = timezone.now()
        update_fields += ["score", "scored_at", "score_reset_at"]
    key_result.updated_at = timezone.now()
    key_result.save(update_fields=update_fields)
    shared_change = None
    if shared_with is not None:
        shared_change = _set_shared_with(key_result, shared_with, actor)
    changes = history.diff(before, history.snapshot(key_result, KEY_RESULT_FIELDS))
    if shared_change:
        changes["shared_with"] = shared_change
    if changes:
        history.record(
            organization=actor.organization,
            actor=actor,
            action=history.Action.UPDATED,
            target_kind="key_result",
            target_uid=key_result.uid,
            target_label=key_result.title,
            changes=changes,
        )
        webhooks.emit(
            organization=actor.organization,
            event="key_result.updated",
            subject=key_result,
            actor=actor,
            extra={"changed": sorted(changes)},
        )
    return key_result


@transaction.atomic
def delete_key_result(*, key_result: KeyResult, actor: Member) -> None:
    _same_org(actor, key_result)
    closing.ensure_key_result_open(key_result)
    _record_cascaded_initiatives(
        key_result.initiatives.all(), actor, _("deleted with its key result")
    )
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.DELETED,
        target_kind="key_result",
        target_uid=key_result.uid,
        target_label=key_result.title,
    )
    key_result.delete()


@transaction.atomic
def set_current_value(
    *, key_result: KeyResult, actor: Member | None, value: Decimal | int | float
) -> KeyResult:
    """Set a key result's current value. Only the demo loader and check-ins call this: the
    value of a key result is what its latest progress check-in says."""
    key_result.current_value = Decimal(str(value))
    key_result.save(update_fields=["current_value"])
    return key_result
