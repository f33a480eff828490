"""Vertical alignment: links up to a parent objective or key result, without cycles."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cairn.okrs import closing
from cairn.okrs.models import (
    Alignment,
    KeyResult,
    Objective,
)
from cairn.okrs.services.common import _same_org
from cairn.orgs import history
from cairn.orgs.models import Member, Period

# Alignment ----------------------------------------------------------------------------------


def _parents_of(objective_ids: set[int], organization_id: int) -> dict[int, set[int]]:
    """child objective id -> the objective ids it aligns to (key result parents resolved)."""
    edges: dict[int, set[int]] = {}
    links = Alignment.objects.filter(organization_id=organization_id).values_list(
        "child_id", "parent_objective_id", "parent_key_result__objective_id"
    )
    for child_id, parent_objective_id, parent_kr_objective_id in links:
        parent = parent_objective_id or parent_kr_objective_id
        edges.setdefault(child_id, set()).add(parent)
    return edges


def _would_cycle(child: Objective, parent_objective_id: int) -> bool:
    if parent_objective_id == child.pk:
        return True
    edges = _parents_of({child.pk}, child.organization_id)
    stack = [parent_objective_id]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if node == child.pk:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(edges.get(node, ()))
    return False


def _title_for(actor: Member, objective: Objective) -> str:
    """An objective's title as `actor` may read it: an error message is a page, too."""
    if Objective.objects.visible_to(actor).filter(pk=objective.pk).exists():
        return objective.title
    return str(_("a private objective"))


def _check_alignment_periods_after_move(
    objective: Objective, period: Period, actor: Member
) -> None:
    for link in objective.alignments_up.select_related(
        "parent_objective__period", "parent_key_result__objective__period"
    ):
        parent = link.parent_objective or link.parent_key_result.objective  # type: ignore[union-attr]
        if not parent.period.encloses(period):
            raise ValidationError(
                {
                    "period": _(
                        "It is aligned to “%(title)s”, whose period does not cover this one."
                    )
                    % {"title": _title_for(actor, parent)}
                }
            )
    # Objectives aligned to this one must stay inside its period, too.
    for child_link in Alignment.objects.filter(
        Q(parent_objective=objective) | Q(parent_key_result__objective=objective)
    ).select_related("child__period"):
        if not period.encloses(child_link.child.period):
            raise ValidationError(
                {
                    "period": _(
                        "“%(title)s” is aligned to it, and this period does not cover that "
                        "objective's period."
                    )
                    % {"title": _title_for(actor, child_link.child)}
                }
            )


@transaction.atomic
def align(
    *,
    actor: Member,
    child: Objective,
    parent_objective: Objective | None = None,
    parent_key_result: KeyResult | None = None,
) -> Alignment:
    if (parent_objective is None) == (parent_key_result is None):
        raise ValidationError(_("Align to exactly one objective or key result."))
    _same_org(actor, child, parent_objective, parent_key_result)
    # Only the child changes: an objective of a new period may still align to last
    # quarter's closed one.
    closing.ensure_open(child)
    target = parent_objective or parent_key_result.objective  # type: ignore[union-attr]
    if not target.period.encloses(child.period):
        raise ValidationError(
            {"parent": _("The parent must be in the same period or one that encloses it.")}
        )
    if _would_cycle(child, target.pk):
        # The API takes any uid of the organization: name the parent only to those who may
        # see it.
        raise ValidationError(
            {
                "parent": _(
                    "This alignment would make a cycle: “%(title)s” already contributes to "
                    "this objective."
                )
                % {"title": _title_for(actor, target)}
            }
        )
    duplicate = Alignment.objects.filter(
        child=child, parent_objective=parent_objective, parent_key_result=parent_key_result
    )
    if duplicate.exists():
        raise ValidationError({"parent": _("This objective is already aligned to that parent.")})
    link = Alignment.objects.create(
        organization_id=actor.organization_id,
        child=child,
        parent_objective=parent_objective,
        parent_key_result=parent_key_result,
        created_by=actor,
    )
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.ADDED,
        target_kind="objective",
        target_uid=child.uid,
        target_label=child.title,
        changes={"aligned_to": [None, str(parent_objective or parent_key_result)]},
    )
    return link


@transaction.atomic
def unalign(*, actor: Member, link: Alignment) -> None:
    _same_org(actor, link)
    closing.ensure_open(link.child)
    parent = link.parent_objective or link.parent_key_result
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.REMOVED,
        target_kind="objective",
        target_uid=link.child.uid,
        target_label=link.child.title,
        changes={"aligned_to": [str(parent), None]},
    )
    link.delete()
