"""Forms of the closing pages. They parse input; the services decide what is allowed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cairn.okrs.models import KeyResult, Objective


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For the period's history: how the review went, what was left open."),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it reopened?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required: the period's history keeps it."),
        error_messages={"required": _("Say why it is reopened: the history keeps it.")},
    )


class KeyResultChoices(forms.ModelMultipleChoiceField):
    """Key results, chosen by their public uid, labelled with their title."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "uid")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.title)


class CarryOverForm(forms.Form):
    """Which key results of one objective continue into the next period."""

    key_results = KeyResultChoices(
        label=_("Key results to continue"),
        queryset=KeyResult.objects.none(),
        error_messages={"required": _("Choose at least one key result to continue.")},
    )

    def __init__(
        self, *args: Any, choices: Iterable[KeyResult], checked: Iterable[KeyResult], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field: KeyResultChoices = self.fields["key_results"]  # type: ignore[assignment]
        field.queryset = KeyResult.objects.filter(pk__in=[kr.pk for kr in choices]).order_by(
            "position", "id"
        )
        self.initial.setdefault("key_results", [kr.uid for kr in checked])


class ChecklistCarryOverForm(forms.Form):
    """The checklist's carry-over: every ticked key result of the chosen objectives, or of
    the one objective whose own button was pressed (`only`)."""

    objectives = forms.ModelMultipleChoiceField(
        label=_("Objectives to carry over"),
        queryset=Objective.objects.none(),
        to_field_name="uid",
        required=False,
    )
    key_results = KeyResultChoices(
        label=_("Key results to continue"), queryset=KeyResult.objects.none(), required=False
    )
    only = forms.ModelChoiceField(
        queryset=Objective.objects.none(), to_field_name="uid", required=False
    )

    def __init__(
        self,
        *args: Any,
        objectives: Iterable[Objective],
        key_results: Iterable[KeyResult],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        allowed = Objective.objects.filter(pk__in=[o.pk for o in objectives])
        self.fields["objectives"].queryset = allowed  # type: ignore[attr-defined]
        self.fields["only"].queryset = allowed  # type: ignore[attr-defined]
        self.fields["key_results"].queryset = KeyResult.objects.filter(  # type: ignore[attr-defined]
            pk__in=[kr.pk for kr in key_results]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        only = data.get("only")
        chosen = [only] if only is not None else list(data.get("objectives") or [])
        if not chosen and not self.errors:
            raise forms.ValidationError(_("Choose the objectives to carry over."))
        ticked = list(data.get("key_results") or [])
        empty = [o.title for o in chosen if not any(kr.objective_id == o.pk for kr in ticked)]
        if empty:
            raise forms.ValidationError(
                gettext("Tick at least one key result to continue for %(titles)s.")
                % {"titles": ", ".join(f"“{title}”" for title in empty)}
            )
        data["chosen"] = chosen
        return data

    def plan(self) -> list[tuple[Objective, list[KeyResult]]]:
        """Each chosen objective with its ticked key results."""
        ticked = list(self.cleaned_data.get("key_results") or [])
        return [
            (objective, [kr for kr in ticked if kr.objective_id == objective.pk])
            for objective in self.cleaned_data["chosen"]
        ]
