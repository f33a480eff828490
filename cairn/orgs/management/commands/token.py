"""`cairn token`: create, list and revoke personal API tokens from the command line."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cairn.orgs import tokens
from cairn.orgs.management.commands._common import run_service
from cairn.orgs.models import ApiToken, Member, Organization

ACTIONS = ("create", "list", "revoke")


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


class Command(BaseCommand):
    help = (
        "Personal API tokens. `create` prints the new token alone on its last line (it is "
        "shown only once); `list` shows tokens without their secrets; `revoke` switches one off."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # The action is checked in handle (not with argparse choices) so that a bad one gives
        # the same one-line CommandError, exit 1, as every other bad argument.
        parser.add_argument("action", nargs="?", help=f"one of {', '.join(ACTIONS)}")
        parser.add_argument(
            "prefix", nargs="?", help="revoke: the token's first characters (or its id)"
        )
        parser.add_argument(
            "--email", help="the person the token acts as (list, revoke: only theirs)"
        )
        parser.add_argument(
            "--org",
            metavar="SLUG",
            help="the organization (create: needed for someone in several; list, revoke: only "
            "its tokens)",
        )
        parser.add_argument("--read-only", action="store_true", help="create: a read-only token")
        parser.add_argument("--name", default="command line", help="create: what the token is for")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action not in ACTIONS:
            shown = f"Unknown action {action!r}" if action else "Say what to do"
            raise CommandError(f"{shown}: cairn token {'|'.join(ACTIONS)} ...")
        if action == "create":
            self.create(options)
        elif action == "list":
            self.list_tokens(options)
        else:
            self.revoke(options)

    def organization(self, slug: str | None) -> Organization | None:
        if not slug:
            return None
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"No organization with the slug {slug!r}.")
        return organization

    def member(self, email: str | None, organization: Organization | None) -> Member:
        if not email:
            raise CommandError("Say whose token: --email EMAIL.")
        members = Member.objects.select_related("organization", "user").filter(
            user__email__iexact=email.strip(), is_active=True
        )
        if organization is not None:
            members = members.filter(organization=organization)
        found = list(members.order_by("organization__slug"))
        if not found:
            where = f" of {organization.slug!r}" if organization else ""
            raise CommandError(f"{email} is not an active member{where}.")
        if len(found) > 1:
            slugs = ", ".join(member.organization.slug for member in found)
            raise CommandError(f"{email} is in several organizations ({slugs}): add --org SLUG.")
        return found[0]

    def create(self, options: dict[str, Any]) -> None:
        if options["prefix"]:
            raise CommandError(f"Unexpected argument {options['prefix']!r} for create.")
        member = self.member(options["email"], self.organization(options["org"]))
        if not member.can_write and not options["read_only"]:
            raise CommandError(
                f"{member.user.email} is a viewer in {member.organization.slug!r}: their tokens "
                "are read-only. Add --read-only."
            )
        token, secret = run_service(
            lambda: tokens.create_token(
                member=member, name=options["name"], read_only=options["read_only"]
            )
        )
        kind = "read-only" if token.read_only else "read-write"
        self.stdout.write(
            self.style.SUCCESS(
                f"Created a {kind} token {token.name!r} for {member.user.email} in "
                f"{member.organization.slug!r}. It is shown only once:"
            )
        )
        self.stdout.write(secret)

    def list_tokens(self, options: dict[str, Any]) -> None:
        organization = self.organization(options["org"])
        rows = ApiToken.objects.select_related("member__user", "organization").order_by(
            "organization__slug", "-created_at", "-id"
        )
        if options["email"]:
            rows = rows.filter(member=self.member(options["email"], organization))
        elif organization is not None:
            rows = rows.filter(organization=organization)
        else:
            raise CommandError("Say whose tokens: --email EMAIL or --org SLUG.")
        for token in rows:
            state = f"revoked {_when(token.revoked_at)}" if token.revoked_at else "active"
            access = "read-only" if token.read_only else "read-write"
            self.stdout.write(
                f"{token.prefix}…  {token.organization.slug}  {token.member.user.email}  "
                f"{token.name!r}  {access}  created {_when(token.created_at)}  "
                f"last used {_when(token.last_used_at)}  {state}"
            )

    def revoke(self, options: dict[str, Any]) -> None:
        prefix = (options["prefix"] or "").strip().rstrip("…")
        if not prefix:
            raise CommandError("Say which token: cairn token revoke PREFIX (see cairn token list).")
        organization = self.organization(options["org"])
        found = ApiToken.objects.select_related("member__user", "member__organization")
        if organization is not None:
            found = found.filter(organization=organization)
        if options["email"]:
            found = found.filter(member__user__email__iexact=options["email"].strip())
        try:
            found = found.filter(uid=uuid.UUID(prefix))
        except ValueError:
            if not prefix.startswith(tokens.TOKEN_PREFIX):
                prefix = tokens.TOKEN_PREFIX + prefix
            if len(prefix) > tokens.SHOWN_LENGTH:
                # The whole secret was given: it names exactly one token.
                found = found.filter(token_hash=tokens.hash_token(prefix))
            else:
                found = found.filter(prefix__startswith=prefix)
        matches = list(found[:2])
        if not matches:
            raise CommandError(f"No token starts with {prefix!r}.")
        if len(matches) > 1:
            raise CommandError(f"Several tokens start with {prefix!r}: add --org or --email.")
        token = tokens.revoke_token(token=matches[0], actor=None)
        self.stdout.write(
            self.style.SUCCESS(
                f"Revoked {token.name!r} ({token.prefix}…) of {token.member.user.email}."
            )
        )
