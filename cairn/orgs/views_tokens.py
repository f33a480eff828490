"""A person's personal API tokens (/o/<org>/me/tokens/): create (the secret is shown once),
list, revoke. Admins also see, and may revoke, every token of the organization."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from cairn.lib.htmx import is_htmx, render_page
from cairn.orgs import tokens
from cairn.orgs.access import org_view
from cairn.orgs.forms import attach_errors
from cairn.orgs.models import Member


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=tokens.NAME_MAX,
        help_text=gettext_lazy("What uses it, e.g. “sales dashboard” or “weekly export”."),
    )
    read_only = forms.BooleanField(
        label=gettext_lazy("Read-only"),
        required=False,
        help_text=gettext_lazy("It can read everything you can see, but change nothing."),
    )

    def __init__(self, *args: Any, member: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not member.can_write:
            # A disabled field keeps its initial value whatever is posted; the service
            # refuses a read-write token for a viewer all the same.
            field = self.fields["read_only"]
            field.initial = True
            field.disabled = True
            field.help_text = gettext_lazy(
                "Viewers have read-only access, so their tokens are too."
            )


def _context(member: Member, **extra: Any) -> dict[str, Any]:
    return {
        "member": member,
        "org_slug": member.organization.slug,
        "nav": "me",
        "tokens": tokens.tokens_of(member),
        "all_tokens": tokens.tokens_in(member.organization) if member.is_admin else None,
        "api_docs_url": reverse("api:openapi-view"),
        **extra,
    }


@org_view
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest, member: Member) -> HttpResponse:
    form = TokenForm(request.POST if request.method == "POST" else None, member=member)
    if form.is_valid():
        try:
            token, secret = tokens.create_token(member=member, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            context = _context(
                member,
                token=token,
                secret=secret,
                me_url=request.build_absolute_uri(reverse("api:me")),
            )
            response = render(request, "orgs/tokens_created.html", context)
            # The only copy of the secret: no browser or proxy cache may keep it.
            add_never_cache_headers(response)
            return response
    return render(request, "orgs/tokens.html", _context(member, form=form))


@org_view
@require_POST
def api_token_revoke(request: HttpRequest, member: Member, token: str) -> HttpResponse:
    obj = tokens.token_for(member, token)
    tokens.revoke_token(token=obj, actor=member)
    text = _("Token “%(name)s” revoked: it no longer works.") % {"name": obj.name}
    if is_htmx(request):
        context = _context(member, form=TokenForm(member=member), notice=text)
        return render_page(request, "orgs/tokens.html", context, fragment="tokens")
    messages.success(request, text)
    return redirect("orgs:api_tokens", member.organization.slug)
