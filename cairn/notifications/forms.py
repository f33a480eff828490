"""The form to register a webhook endpoint (the service validates again, for the API)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cairn.notifications import webhooks


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Cairn sends each event as a signed POST request with a JSON body here."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=120,
        required=False,
        help_text=_("What receives the events, so that you can tell webhooks apart."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["event_types"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(event, f"{label} ({event})") for event, label in event_labels()]


def event_labels() -> list[tuple[str, Any]]:
    return [(event, webhooks.EVENT_LABELS[event]) for event in webhooks.EVENT_TYPES]
