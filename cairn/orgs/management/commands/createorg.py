"""`cairn createorg`: a new organization with its first admin."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cairn.orgs import services
from cairn.orgs.management.commands._common import run_service
from cairn.orgs.models import slug_validator


class Command(BaseCommand):
    help = "Create an organization and its first admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="the organization's name")
        parser.add_argument(
            "--slug", required=True, help="short name in URLs (/o/SLUG/): a-z, 0-9 and hyphens"
        )
        parser.add_argument("--admin", required=True, metavar="EMAIL", help="the admin's e-mail")
        parser.add_argument(
            "--password", help="the admin's password (default: a generated one, printed once)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            slug_validator(options["slug"])
        except ValidationError as exc:
            raise CommandError(f"Bad slug {options['slug']!r}: {' '.join(exc.messages)}") from exc
        password = options["password"] or services.generate_password()
        organization, admin = run_service(
            lambda: services.create_organization(
                name=options["name"],
                slug=options["slug"],
                admin_email=options["admin"],
                password=password,
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created organization {organization.name!r} (/o/{organization.slug}/)."
            )
        )
        self.stdout.write(f"Admin: {admin.user.email}")
        if not options["password"]:
            self.stdout.write(f"Generated password: {password}")
