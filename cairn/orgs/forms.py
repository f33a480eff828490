"""Forms for the organization pages. They parse input; the services decide what is allowed."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cairn.orgs import queries
from cairn.orgs.models import (
    Cadence,
    Member,
    Organization,
    Period,
    PeriodKind,
    PeriodState,
    Role,
    Team,
    Weekday,
)


def attach_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: field errors next to their fields.

    A refusal no input could fix (a write to a closed period, `okrs.closing.PeriodClosed`)
    is raised on instead, for the page to answer it with its status (409)."""
    if getattr(error, "answers_the_request", False):
        raise error
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


class MemberChoiceField(forms.ModelChoiceField):
    """A person, chosen by their public uid (never a sequential row id)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "uid")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class TeamChoiceField(forms.ModelChoiceField):
    def __init__(self, *args: Any, depths: dict[int, int] | None = None, **kwargs: Any) -> None:
        self.depths = depths or {}
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return "— " * self.depths.get(obj.pk, 0) + obj.name


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    parent = TeamChoiceField(
        label=_("Parent team"),
        queryset=Team.objects.none(),
        required=False,
        to_field_name="uid",
        empty_label=_("— none (top of the org chart) —"),
    )
    lead = MemberChoiceField(
        label=_("Lead"),
        queryset=Member.objects.none(),
        required=False,
        to_field_name="uid",
        empty_label=_("— no lead —"),
    )

    def __init__(
        self, *args: Any, organization: Organization, team: Team | None = None, **kwargs: Any
    ) -> None:
        if team is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": team.name,
                    "description": team.description,
                    "parent": team.parent.uid if team.parent else None,
                    "lead": team.lead.uid if team.lead else None,
                },
            )
        super().__init__(*args, **kwargs)
        nodes = queries.flatten(queries.team_tree(organization))
        # A team cannot sit below itself or its own sub-teams; the service says so too, but
        # offering only valid parents saves the round trip.
        excluded: set[int] = set()
        if team is not None:
            own = next((node for node in nodes if node.team.pk == team.pk), None)
            excluded = {node.team.pk for node in queries.flatten([own] if own else [])}
        parent_field: TeamChoiceField = self.fields["parent"]  # type: ignore[assignment]
        parent_field.depths = {node.team.pk: node.depth for node in nodes}
        parent_field.queryset = Team.objects.in_org(organization).exclude(pk__in=excluded)
        # Offer the parents in tree order, indented, rather than alphabetically.
        parent_field.choices = [("", parent_field.empty_label)] + [
            (str(node.team.uid), parent_field.label_from_instance(node.team))
            for node in nodes
            if node.team.pk not in excluded
        ]
        lead_field: MemberChoiceField = self.fields["lead"]  # type: ignore[assignment]
        lead_field.queryset = queries.active_members(organization)


class TeamMemberForm(forms.Form):
    ADD = "add"
    REMOVE = "remove"

    op = forms.ChoiceField(
        choices=[(ADD, _("Add")), (REMOVE, _("Remove"))], initial=ADD, widget=forms.HiddenInput
    )
    member = MemberChoiceField(
        label=_("Person"),
        queryset=Member.objects.none(),
        to_field_name="uid",
        empty_label=_("— choose a person —"),
    )

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member_field: MemberChoiceField = self.fields["member"]  # type: ignore[assignment]
        member_field.queryset = queries.active_members(team.organization)


class MemberCreateForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)
    title = forms.CharField(label=_("Job title"), max_length=120, required=False)
    team = TeamChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        to_field_name="uid",
        empty_label=_("— no team yet —"),
    )
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave blank to generate one; it is shown once after saving."),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field: TeamChoiceField = self.fields["team"]  # type: ignore[assignment]
        team_field.queryset = Team.objects.in_org(organization).order_by("name")

    def clean_password(self) -> str:
        password: str = self.cleaned_data.get("password") or ""
        if password:
            validate_password(password)
        return password


class MemberEditForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    title = forms.CharField(label=_("Job title"), max_length=120, required=False)
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("Inactive people cannot sign in to this organization."),
    )

    def __init__(self, *args: Any, person: Member, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"role": person.role, "title": person.title, "is_active": person.is_active}
        )
        super().__init__(*args, **kwargs)


class PeriodForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=PeriodKind.choices, initial=PeriodKind.QUARTER
    )
    start = forms.DateField(label=_("Start"), widget=_date_input())
    end = forms.DateField(label=_("End"), widget=_date_input())
    # Closing is not a state to pick here: it locks the period's OKRs and lives on the
    # period's checklist, as reopening (with a reason) does.
    state = forms.ChoiceField(
        label=_("State"),
        choices=[(v, label) for v, label in PeriodState.choices if v != PeriodState.CLOSED],
        initial=PeriodState.PLANNING,
        help_text=_("To close a period, use its closing checklist."),
    )

    def __init__(self, *args: Any, period: Period | None = None, **kwargs: Any) -> None:
        if period is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": period.name,
                    "kind": period.kind,
                    "start": period.start,
                    "end": period.end,
                    "state": period.state,
                },
            )
        super().__init__(*args, **kwargs)
        if period is not None and period.state == PeriodState.CLOSED:
            del self.fields["state"]


def _time_zones() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class OrganizationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_time_zones)
    week_start = forms.TypedChoiceField(
        label=_("Week starts on"), choices=Weekday.choices, coerce=int
    )
    checkin_cadence = forms.ChoiceField(
        label=_("Check-in cadence"),
        choices=Cadence.choices,
        help_text=_("How often key results are expected to get a check-in."),
    )
    checkin_weekday = forms.TypedChoiceField(
        label=_("Check-ins are due on"),
        choices=Weekday.choices,
        coerce=int,
        help_text=_(
            "The day of each cadence when check-ins are due and reminders go out; a Next Up "
            "is due on the next such day unless its author says otherwise."
        ),
    )
    default_language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES)
    achieved_threshold = forms.DecimalField(
        label=_("A key result counts as achieved at score"),
        min_value=Decimal("0.01"),
        max_value=Decimal("1.00"),
        decimal_places=2,
        max_digits=3,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.05"}),
        help_text=_(
            "From 0.01 to 1.00; 0.70 is the common rule. Confidence calibration scores every "
            "confidence check-in against it. Left empty, it stays as it is."
        ),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        self.organization = organization
        kwargs.setdefault(
            "initial",
            {
                "name": organization.name,
                "time_zone": organization.time_zone,
                "week_start": organization.week_start,
                "checkin_cadence": organization.checkin_cadence,
                "checkin_weekday": organization.checkin_weekday,
                "default_language": organization.default_language,
                "achieved_threshold": organization.achieved_threshold,
            },
        )
        super().__init__(*args, **kwargs)

    def clean_achieved_threshold(self) -> Decimal:
        value: Decimal | None = self.cleaned_data.get("achieved_threshold")
        return self.organization.achieved_threshold if value is None else value


class MySettingsForm(forms.Form):
    """A person's own settings in one organization."""

    reminder_emails = forms.BooleanField(
        label=_("E-mail me a reminder when my check-ins are due"),
        required=False,
        help_text=_("One e-mail per cadence, listing the key results due for a check-in."),
    )

    def __init__(self, *args: Any, member: Member, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"reminder_emails": member.reminder_emails})
        super().__init__(*args, **kwargs)
