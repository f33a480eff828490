"""Forms for authoring objectives, key results, initiatives and alignment.

Forms only collect and type the input; the rules live in `okrs.services`, whose
ValidationErrors are attached to the matching fields with `attach_errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from cairn.okrs.models import (
    Direction,
    InitiativeState,
    KeyResult,
    KeyResultKind,
    Objective,
    Visibility,
)
from cairn.orgs.access import team_ids_of
from cairn.orgs.forms import MemberChoiceField
from cairn.orgs.models import Member, Period, Role, Team


def active_members(member: Member) -> QuerySet[Member]:
    return (
        Member.objects.in_org(member.organization)
        .filter(is_active=True)
        .select_related("user")
        .order_by("user__name", "user__email")
    )


def possible_owners(member: Member) -> QuerySet[Member]:
    """People who can own an objective, key result or initiative: viewers cannot write."""
    return active_members(member).exclude(role=Role.VIEWER)


# Choices travel as public uids, never as sequential row ids (STYLE.md, database habits).


class MembersChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "uid")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ObjectiveForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    period = forms.ModelChoiceField(
        label=_("Period"), queryset=Period.objects.none(), to_field_name="uid"
    )
    owner_person = MemberChoiceField(
        label=_("A person"),
        queryset=Member.objects.none(),
        required=False,
        empty_label="—",
        help_text=_("Either one person…"),
    )
    owner_teams = forms.ModelMultipleChoiceField(
        label=_("…or one or more teams"),
        queryset=Team.objects.none(),
        to_field_name="uid",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Two or more teams make it a shared OKR."),
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=Visibility.choices,
        initial=Visibility.PUBLIC,
        widget=forms.RadioSelect,
    )
    shared_with = MembersChoiceField(
        label=_("Shared with"),
        queryset=Member.objects.none(),
        required=False,
        help_text=_("People who may see it while it is private."),
    )

    def __init__(
        self, *args: Any, member: Member, objective: Objective | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        org = member.organization
        self.fields["period"].queryset = Period.objects.in_org(org).order_by("-start", "-end")  # type: ignore[attr-defined]
        people = active_members(member)
        self.fields["owner_person"].queryset = possible_owners(member)  # type: ignore[attr-defined]
        self.fields["shared_with"].queryset = people  # type: ignore[attr-defined]
        teams = Team.objects.in_org(org).order_by("name")
        if not member.is_admin:
            # Members may only give an objective to their own teams (the service enforces
            # it); teams that already own it stay listed so an edit can keep them.
            allowed = Q(pk__in=team_ids_of(member))
            if objective is not None:
                allowed |= Q(objective_links__objective=objective)
            teams = teams.filter(allowed).distinct()
        self.fields["owner_teams"].queryset = teams  # type: ignore[attr-defined]


class KeyResultForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=KeyResultKind.choices, initial=KeyResultKind.METRIC
    )
    start_value = forms.DecimalField(
        label=_("Start"), max_digits=18, decimal_places=4, required=False, initial=0
    )
    target_value = forms.DecimalField(
        label=_("Target"), max_digits=18, decimal_places=4, required=False
    )
    unit = forms.CharField(label=_("Unit"), max_length=30, required=False)
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("", _("From start and target")), *Direction.choices],
        required=False,
    )
    weight = forms.DecimalField(
        label=_("Weight"), max_digits=6, decimal_places=2, min_value=0, initial=1
    )
    owner = MemberChoiceField(label=_("Owner"), queryset=Member.objects.none(), required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=Visibility.choices,
        initial=Visibility.PUBLIC,
        widget=forms.RadioSelect,
    )
    shared_with = MembersChoiceField(
        label=_("Shared with"),
        queryset=Member.objects.none(),
        required=False,
        help_text=_("People who may see it while it is private."),
    )

    def __init__(self, *args: Any, member: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = active_members(member)
        self.fields["owner"].queryset = possible_owners(member)  # type: ignore[attr-defined]
        self.fields["shared_with"].queryset = people  # type: ignore[attr-defined]
        self.fields["start_value"].help_text = _("A milestone ignores start and target.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == KeyResultKind.MILESTONE:
            data["start_value"], data["target_value"] = Decimal(0), Decimal(1)
        else:
            for name in ("start_value", "target_value"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("This field is required."))
        return data


class NewKeyResultForm(KeyResultForm):
    """Creating a key result starts its story with a Context: why it matters, today's
    baseline, the tactic. Later contexts are written as check-ins."""

    context_why = forms.CharField(
        label=_("Why it matters"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    context_baseline = forms.CharField(
        label=_("Today's baseline"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    context_tactic = forms.CharField(
        label=_("Tactic for the period"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InitiativeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), to_field_name="uid"
    )
    key_result = forms.ModelChoiceField(
        label=_("Key result"),
        queryset=KeyResult.objects.none(),
        to_field_name="uid",
        required=False,
        empty_label=_("The objective as a whole"),
    )
    owner = MemberChoiceField(label=_("Owner"), queryset=Member.objects.none(), required=False)
    state = forms.ChoiceField(
        label=_("State"), choices=InitiativeState.choices, initial=InitiativeState.PLANNED
    )
    due = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args: Any, member: Member, objective: Objective, teams: QuerySet[Team], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        self.fields["key_result"].queryset = KeyResult.objects.visible_to(member).filter(  # type: ignore[attr-defined]
            objective=objective
        )
        self.fields["owner"].queryset = possible_owners(member)  # type: ignore[attr-defined]


class DeferInitiativeForm(forms.Form):
    """Defer an initiative to the next period, optionally saying why (kept in its history)."""

    note = forms.CharField(
        label=_("Why"),
        required=False,
        max_length=300,
        help_text=_("Recorded in the initiative's history."),
    )


class _ParentField(forms.ChoiceField):
    """A choice the list need not show (one found by search): `AlignForm.clean_parent`
    decides whether it names a parent the member may choose."""

    def valid_value(self, value: Any) -> bool:
        return True


class AlignForm(forms.Form):
    """Choose one parent: an objective or a key result, from those the member can see in the
    same or an enclosing period. Values are "o:<uid>" or "k:<uid>". The list shows some of
    them (`queries.align`); `resolve` looks up the one posted, listed or not."""

    parent = _ParentField(label=_("Contributes to"))

    def __init__(
        self,
        *args: Any,
        candidates: list[Objective],
        resolve: Callable[[str], tuple[Objective | None, KeyResult | None] | None],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._resolve = resolve
        choices: list[Any] = [("", _("Choose an objective or key result"))]
        for objective in candidates:
            group = [(f"o:{objective.uid}", _("Objective: %(title)s") % {"title": objective})]
            for kr in getattr(objective, "visible_krs", []):
                group.append((f"k:{kr.uid}", _("Key result: %(title)s") % {"title": kr}))
            choices.append((f"{objective.title} ({objective.period})", group))
        self.fields["parent"].choices = choices  # type: ignore[attr-defined]

    def clean_parent(self) -> tuple[Objective | None, KeyResult | None]:
        found = self._resolve(self.cleaned_data["parent"])
        if found is None:
            raise ValidationError(_("Choose an objective or key result from the list."))
        return found
