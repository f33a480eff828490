"""Forms for dependency requests. They collect and type the input, offering only what the
member may see; the rules (who may ask, which moves are legal) live in `alignment.services`,
whose ValidationErrors are put on the fields with `orgs.forms.attach_errors`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cairn.alignment.models import Dependency, DependencyState
from cairn.alignment.queries.dependencies import initiative_choices, initiative_visible
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs.access import team_ids_of
from cairn.orgs.models import Member, Team

S = DependencyState

# What the button of each move says, and what its comment box asks.
MOVE_LABELS: dict[str, Any] = {
    S.PROPOSED: _("Ask again"),
    S.ACCEPTED: _("Accept"),
    S.DECLINED: _("Decline"),
    S.MADE_SHARED: _("Make it a shared OKR"),
    S.DEFERRED: _("Defer to the next period"),
    S.WITHDRAWN: _("Withdraw"),
}
MOVE_HELP: dict[str, Any] = {
    S.PROPOSED: _("What changed since it was declined?"),
    S.ACCEPTED: _("What will your team do, and by when?"),
    S.DECLINED: _("Why not? What could work instead?"),
    S.MADE_SHARED: _(
        "Your team becomes an owner of this objective: one goal, its own initiatives."
    ),
    S.DEFERRED: _("The linked initiative moves to the next period. Why wait?"),
    S.WITHDRAWN: _("Why is it no longer needed?"),
}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TeamField(forms.ModelChoiceField):
    """A team of the organization, chosen by its public uid."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "uid")
        kwargs.setdefault("queryset", Team.objects.none())
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class InitiativeField(forms.ModelChoiceField):
    """An initiative, named with its team so that the providing team's ones are easy to find."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "uid")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.team.name} — {obj.title}"


class DependencyForm(forms.Form):
    requesting_team = TeamField(label=_("Asking team"))
    providing_team = TeamField(label=_("Team you need something from"))
    key_result = forms.ModelChoiceField(
        label=_("Key result that leans on it"),
        queryset=KeyResult.objects.none(),
        to_field_name="uid",
        required=False,
        empty_label=_("The objective as a whole"),
        help_text=_("Until the other team accepts, this key result is flagged over-optimistic."),
    )
    need = forms.CharField(
        label=_("What is needed"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due = forms.DateField(label=_("Needed by"), required=False, widget=_date_input())
    initiative = InitiativeField(
        label=_("The providing team's initiative"),
        queryset=None,
        required=False,
        empty_label=_("None yet"),
        help_text=_("If the other team already plans the work, link its initiative."),
    )

    def __init__(
        self,
        *args: Any,
        member: Member,
        objective: Objective,
        key_result_uid: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.in_org(member.organization).order_by("name")
        owning = {link.team_id for link in objective.team_links.all()}
        # The request is made for the objective's owners: an owning team, or for a personal
        # objective one of its owner's teams (the service says the same).
        if owning:
            asking_ids = owning
        elif objective.owner_person is not None:
            asking_ids = team_ids_of(objective.owner_person)
        else:
            asking_ids = set()
        asking = list(teams.filter(pk__in=asking_ids))
        requesting: TeamField = self.fields["requesting_team"]  # type: ignore[assignment]
        requesting.queryset = teams.filter(pk__in=asking_ids)
        if not asking:
            requesting.help_text = _(
                "Nobody owns this objective through a team yet: give it to a team first."
            )
        if not self.is_bound and asking:
            mine = team_ids_of(member)
            self.initial.setdefault(
                "requesting_team", next((t for t in asking if t.pk in mine), asking[0])
            )
        providing: TeamField = self.fields["providing_team"]  # type: ignore[assignment]
        providing.queryset = teams.exclude(pk__in=owning)
        key_results = KeyResult.objects.visible_to(member).filter(objective=objective)
        self.fields["key_result"].queryset = key_results  # type: ignore[attr-defined]
        if key_result_uid and not self.is_bound:
            # Only a key result on the list is preselected; any other uid is ignored.
            chosen = next((kr for kr in key_results if str(kr.uid) == key_result_uid), None)
            if chosen is not None:
                self.initial["key_result"] = chosen
        self.fields["initiative"].queryset = initiative_choices(  # type: ignore[attr-defined]
            member, period=objective.period, exclude_team_ids=owning
        )


class DependencyEditForm(forms.Form):
    need = forms.CharField(
        label=_("What is needed"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due = forms.DateField(label=_("Needed by"), required=False, widget=_date_input())
    initiative = InitiativeField(
        label=_("The providing team's initiative"),
        queryset=None,
        required=False,
        empty_label=_("None yet"),
    )

    def __init__(self, *args: Any, member: Member, dependency: Dependency, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"need": dependency.need, "due": dependency.due, "initiative": dependency.initiative},
        )
        super().__init__(*args, **kwargs)
        if dependency.initiative is not None and not initiative_visible(member, dependency):
            # A linked initiative the member may not see is neither shown nor unlinked here.
            del self.fields["initiative"]
            return
        self.fields["initiative"].queryset = initiative_choices(  # type: ignore[attr-defined]
            member,
            period=dependency.objective.period,
            team=dependency.providing_team,
            keep=dependency.initiative,
        )


class MoveForm(forms.Form):
    """One move of the state machine: the state to move to, and the comment every move needs."""

    state = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why, for the discussion.")},
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Add to the discussion"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write a comment.")},
    )
