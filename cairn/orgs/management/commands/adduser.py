"""`cairn adduser`: add a person to an organization, optionally to one of its teams."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cairn.orgs import services
from cairn.orgs.management.commands._common import run_service
from cairn.orgs.models import Organization, Role, Team


class Command(BaseCommand):
    help = "Add a person to an organization with a role (and optionally a team)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG", help="the organization's slug")
        parser.add_argument("--email", required=True, help="the person's e-mail (their login)")
        parser.add_argument("--role", required=True, help=f"one of {', '.join(Role.values)}")
        parser.add_argument("--team", help="name of a team to put the person in")
        parser.add_argument("--name", default="", help="the person's display name")
        parser.add_argument(
            "--password", help="their password (default: a generated one, printed once)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The role is checked here too (not with argparse choices) so that a bad role gives the
        # same one-line CommandError as every other bad argument.
        if options["role"] not in Role.values:
            raise CommandError(
                f"Unknown role {options['role']!r}: choose one of {', '.join(Role.values)}."
            )
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization with the slug {options['org']!r}.")
        team = None
        if options["team"]:
            team = Team.objects.in_org(organization).filter(name__iexact=options["team"]).first()
            if team is None:
                names = ", ".join(
                    Team.objects.in_org(organization)
                    .order_by("name")
                    .values_list("name", flat=True)
                )
                raise CommandError(
                    f"No team {options['team']!r} in {organization.slug!r}"
                    + (f" (teams: {names})." if names else " (it has no teams yet).")
                )
        password = options["password"] or services.generate_password()
        member = run_service(
            lambda: services.add_member(
                organization=organization,
                email=options["email"],
                role=options["role"],
                name=options["name"],
                password=password,
                team=team,
                actor=None,
            )
        )
        where = f" in team {team.name!r}" if team else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {member.user.email} to {organization.slug!r} as {member.role}{where}."
            )
        )
        if not options["password"]:
            self.stdout.write(f"Generated password: {password}")
