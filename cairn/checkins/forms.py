"""The check-in form: one short form for value, confidence and next up, the other sections
one click away. Forms collect and type the input; the rules live in `checkins.services`.

Empty sections are not sent: `CheckInForm.sections()` builds a section only when something
of it was filled in, so that a quick "value only" check-in stays a Progress check-in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cairn.checkins import services, syncs
from cairn.checkins.models import CheckIn, Outcome
from cairn.lib import rhythm
from cairn.lib.charts import BAND_LABELS
from cairn.okrs.models import KeyResult, KeyResultKind, Objective
from cairn.orgs.models import Member

CONFIDENCE_CHOICES = [(str(level), str(level)) for level in range(11)]
MILESTONE_CHOICES = [("1", _("Done")), ("0", _("Not done"))]
RESULT_FIELDS = (
    "result_value",
    "result_score",
    "result_override_reason",
    "result_worked",
    "result_did_not_work",
    "result_learned",
)


def _line(label: Any, **attrs: Any) -> forms.CharField:
    # Single-line inputs in the short form: Enter anywhere in it submits the check-in.
    return forms.CharField(
        label=label, required=False, widget=forms.TextInput(attrs={"autocomplete": "off", **attrs})
    )


def _text(label: Any, rows: int = 2) -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": rows}))


class CheckInForm(forms.Form):
    # Progress
    progress_value = forms.DecimalField(
        label=_("New value"),
        required=False,
        max_digits=18,
        decimal_places=4,
        widget=forms.NumberInput(attrs={"step": "any", "autofocus": True, "inputmode": "decimal"}),
    )
    progress_comment = _line(_("What changed, what was learned"))
    # Confidence
    confidence = forms.ChoiceField(
        label=_("Confidence"),
        choices=CONFIDENCE_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    confidence_needs = _line(_("What is needed or in the way"))
    confidence_mitigation = _line(_("What will reduce the risk"))
    # Next Up
    next_up_plan = _line(_("Next up: what and how"))
    next_up_due = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # Reflection (only when there is an earlier Next Up)
    reflection_outcome = forms.ChoiceField(
        label=_("Did it happen?"),
        choices=Outcome.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    reflection_learned = _text(_("What was learned"))
    # Context
    context_why = _text(_("Why this result matters"))
    context_baseline = _text(_("Today's baseline"))
    context_tactic = _text(_("The tactic for the rest of the period"))
    # Result (only while results are open: near and after the period's end)
    result_value = forms.DecimalField(
        label=_("Final value"),
        required=False,
        max_digits=18,
        decimal_places=4,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    # The range (0.0-1.0) and who may override are the service's rules, with its messages.
    result_score = forms.DecimalField(
        label=_("Score override"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
        help_text=_("Leave empty to keep the computed score."),
    )
    result_override_reason = _text(_("Why the score differs from the computed one"))
    result_worked = _text(_("What worked"))
    result_did_not_work = _text(_("What did not work"))
    result_learned = _text(_("What we learned"))
    # Flags
    is_insight = forms.BooleanField(label=_("Flag as an insight"), required=False)
    is_blocker = forms.BooleanField(label=_("Flag as a blocker"), required=False)

    def __init__(
        self,
        *args: Any,
        key_result: KeyResult,
        previous: CheckIn | None,
        default_due: dt.date,
        results_open: bool = False,
        can_override: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.key_result = key_result
        self.previous = previous
        self.results_open = results_open
        self.can_override = results_open and can_override
        self.fields["next_up_due"].initial = default_due
        value = self.fields["progress_value"]
        if key_result.kind == KeyResultKind.MILESTONE:
            self.fields["progress_value"] = forms.ChoiceField(
                label=_("Done?"),
                choices=MILESTONE_CHOICES,
                required=False,
                widget=forms.RadioSelect(attrs={"autofocus": True}),
            )
        elif key_result.kind == KeyResultKind.PERCENTAGE:
            value.label = _("New value (%)")
            # A hint for the browser; the rule (0-100) is the service's, shown on the field.
            value.widget.attrs.update({"min": "0", "max": "100"})
        elif key_result.unit:
            value.label = _("New value (%(unit)s)") % {"unit": key_result.unit}
        if previous is None:
            del self.fields["reflection_outcome"]
            del self.fields["reflection_learned"]
        self._result_fields(key_result)

    def _result_fields(self, key_result: KeyResult) -> None:
        if not self.results_open:
            for name in RESULT_FIELDS:
                del self.fields[name]
            return
        if not self.can_override:
            del self.fields["result_score"]
            del self.fields["result_override_reason"]
        final = self.fields["result_value"]
        if key_result.kind == KeyResultKind.MILESTONE:
            self.fields["result_value"] = forms.ChoiceField(
                label=_("Done at the end?"),
                choices=MILESTONE_CHOICES,
                required=False,
                widget=forms.RadioSelect,
            )
        elif key_result.kind == KeyResultKind.PERCENTAGE:
            final.label = _("Final value (%)")
            final.widget.attrs.update({"min": "0", "max": "100"})
        elif key_result.unit:
            final.label = _("Final value (%(unit)s)") % {"unit": key_result.unit}

    @property
    def confidence_options(self) -> list[dict[str, Any]]:
        """The 0-10 radio row with each level's band, for colour and words beside it."""
        chosen = self["confidence"].value()
        return [
            {
                "value": str(level),
                "band": rhythm.band(level).value,
                "band_label": BAND_LABELS[rhythm.band(level)],
                "checked": str(chosen) == str(level),
                "id": f"{self['confidence'].auto_id}_{level}",
            }
            for level in range(11)
        ]

    def _filled(self, *names: str) -> bool:
        data = self.cleaned_data
        return any(data.get(name) not in (None, "") for name in names)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        no_value = data.get("progress_value") in (None, "") and "progress_value" not in self.errors
        if self._filled("progress_comment") and no_value:
            self.add_error("progress_value", _("Enter the new value for this comment."))
        if self._filled("confidence_needs", "confidence_mitigation") and not data.get("confidence"):
            self.add_error("confidence", _("Choose a confidence from 0 to 10."))
        if self._filled("reflection_learned") and not data.get("reflection_outcome"):
            self.add_error("reflection_outcome", _("Did it happen: done, partly or not done?"))
        if self.results_open:
            no_final = data.get("result_value") in (None, "") and "result_value" not in self.errors
            if no_final and self._filled(*RESULT_FIELDS):
                self.add_error("result_value", _("Enter the final value for this result."))
            if not self.can_override and str(self.data.get("result_score", "")).strip():
                # The field is not offered to them; a posted one is refused, not dropped.
                self.add_error(None, _("Only the key result's owner may override its score."))
        return data

    def sections(self) -> dict[str, Any]:
        """The keyword arguments of `services.record_check_in` for the filled sections."""
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "insight": bool(data.get("is_insight")),
            "blocker": bool(data.get("is_blocker")),
        }
        if data.get("progress_value") not in (None, ""):
            value = data["progress_value"]
            if self.key_result.kind == KeyResultKind.MILESTONE:
                value = value == "1"
            kwargs["progress"] = services.Progress(
                value=value, comment=data.get("progress_comment", "")
            )
        if data.get("confidence") not in (None, ""):
            kwargs["confidence"] = services.Confidence(
                level=int(data["confidence"]),
                needs=data.get("confidence_needs", ""),
                mitigation=data.get("confidence_mitigation", ""),
            )
        if self._filled("next_up_plan"):
            kwargs["next_up"] = services.NextUp(
                plan=data["next_up_plan"], due=data.get("next_up_due")
            )
        if self.previous is not None and data.get("reflection_outcome"):
            kwargs["reflection"] = services.Reflection(
                outcome=data["reflection_outcome"], learned=data.get("reflection_learned", "")
            )
        if self._filled("context_why", "context_baseline", "context_tactic"):
            kwargs["context"] = services.Context(
                why=data.get("context_why", ""),
                baseline=data.get("context_baseline", ""),
                tactic=data.get("context_tactic", ""),
            )
        if self.results_open and data.get("result_value") not in (None, ""):
            final = data["result_value"]
            if self.key_result.kind == KeyResultKind.MILESTONE:
                final = final == "1"
            kwargs["result"] = services.Result(
                value=final,
                score=data.get("result_score"),
                override_reason=data.get("result_override_reason", ""),
                worked=data.get("result_worked", ""),
                did_not_work=data.get("result_did_not_work", ""),
                learned=data.get("result_learned", ""),
            )
        return kwargs


class CorrectionForm(forms.Form):
    """The words of a check-in, for its author within the correction window. Only the text
    of the sections the check-in has is offered; values stay (record a new check-in)."""

    LABELS = {
        "progress_comment": _("Progress: what changed, what was learned"),
        "confidence_needs": _("Confidence: what is needed or in the way"),
        "confidence_mitigation": _("Confidence: what will reduce the risk"),
        "next_up_plan": _("Next up: what and how"),
        "reflection_learned": _("Reflection: what was learned"),
        "context_why": _("Context: why this result matters"),
        "context_baseline": _("Context: today's baseline"),
        "context_tactic": _("Context: the tactic for the rest of the period"),
        "result_override_reason": _("Result: why the score was overridden"),
        "result_worked": _("Result: what worked"),
        "result_did_not_work": _("Result: what did not work"),
        "result_learned": _("Result: what we learned"),
    }

    def __init__(self, *args: Any, check_in: CheckIn, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        present = {
            "progress_comment": check_in.has_progress,
            "confidence_needs": check_in.has_confidence,
            "confidence_mitigation": check_in.has_confidence,
            "next_up_plan": check_in.has_next_up,
            "reflection_learned": check_in.has_reflection,
            "context_why": check_in.has_context,
            "context_baseline": check_in.has_context,
            "context_tactic": check_in.has_context,
            # An overridden score keeps its reason; the retrospective can be filled in later.
            "result_override_reason": check_in.result_score_overridden,
            "result_worked": check_in.has_result,
            "result_did_not_work": check_in.has_result,
            "result_learned": check_in.has_result,
        }
        for name in services.TEXT_FIELDS:
            if present.get(name) or getattr(check_in, name):
                self.fields[name] = _text(self.LABELS[name])
                self.fields[name].initial = getattr(check_in, name)

    def changes(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in self.fields}


class DeleteForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the history with the deletion."),
    )


class MembersField(forms.ModelMultipleChoiceField):
    """People, chosen by their public uid (never a sequential row id)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "uid")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SyncForm(forms.Form):
    """Record a sync: the owning teams' people are offered (and ticked) as attendees, anyone
    else in the organization can be added as a guest. The rules live in `syncs.record_sync`."""

    held_on = forms.DateField(label=_("Held on"), widget=_date_input())
    attendees = MembersField(
        label=_("Attendees"),
        queryset=Member.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    guests = MembersField(
        label=_("Other attendees"),
        queryset=Member.objects.none(),
        required=False,
        help_text=_("People from outside the owning teams who joined."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Decisions, who does what by when, what to look at next time."),
    )
    cadence_days = forms.IntegerField(
        label=_("Sync every (days)"),
        min_value=syncs.MIN_CADENCE_DAYS,
        max_value=syncs.MAX_CADENCE_DAYS,
    )
    next_sync_on = forms.DateField(
        label=_("Next sync"),
        required=False,
        widget=_date_input(),
        help_text=_("Leave empty for the day of this sync plus the cadence."),
    )

    def __init__(
        self, *args: Any, objective: Objective, member: Member, today: dt.date, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        teams = [team.pk for team in syncs.owning_teams(objective)]
        people = Member.objects.in_org(member.organization).filter(is_active=True)
        owning = Q(team_memberships__team_id__in=teams) | Q(led_teams__in=teams)
        if objective.owner_person_id is not None:
            owning |= Q(pk=objective.owner_person_id)
        insiders = people.filter(owning).distinct().select_related("user").order_by("user__name")
        self.fields["attendees"].queryset = insiders  # type: ignore[attr-defined]
        self.fields["guests"].queryset = (  # type: ignore[attr-defined]
            people.exclude(pk__in=insiders.values("pk"))
            .select_related("user")
            .order_by("user__name")
        )
        self.fields["held_on"].initial = today
        self.fields["cadence_days"].initial = objective.sync_cadence_days
        self.fields["attendees"].initial = [person.uid for person in insiders]

    def record_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of `syncs.record_sync`, the actor and objective aside."""
        data = self.cleaned_data
        return {
            "held_on": data["held_on"],
            "attendees": [*data.get("attendees", []), *data.get("guests", [])],
            "notes": data.get("notes", ""),
            "next_sync_on": data.get("next_sync_on"),
            "cadence_days": data["cadence_days"],
        }
