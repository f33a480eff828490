"""`cairn export`: a period report as CSV, XLSX or JSON, the same file as the report page's.

Without --as the export is the whole organization as its admins see it (private items
included): whoever runs the command on the server already holds the database. With --as
EMAIL it is exactly what that person may see, through the same gate as the page.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cairn.orgs.models import Member, Organization, Period, Role, Team
from cairn.reporting import exports
from cairn.reporting.queries.report import period_report

FORMATS = tuple(fmt.value for fmt in exports.Format)


class Command(BaseCommand):
    help = (
        "Export a period report (objectives and key results with progress, score, final "
        "confidence; coverage, blockers, insights and calibration in JSON) as CSV, XLSX or "
        "JSON. Without --as it is the whole organization as an admin sees it, private items "
        "included; with --as EMAIL only what that person may see."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # Choices are checked in handle (not by argparse) so that every bad argument gives
        # the same one-line CommandError and exit status 1.
        parser.add_argument("--org", metavar="SLUG", help="the organization's slug")
        parser.add_argument("--period", metavar="NAME", help='the period\'s name ("2026 Q3")')
        parser.add_argument(
            "--format", dest="fmt", metavar="FORMAT", default="csv", help="csv, xlsx or json"
        )
        parser.add_argument(
            "--output",
            metavar="FILE",
            help="write to FILE (default: standard output; XLSX only when it is not a terminal)",
        )
        parser.add_argument(
            "--as",
            dest="as_email",
            metavar="EMAIL",
            help="export what this member may see (default: everything, as an admin)",
        )
        parser.add_argument("--team", metavar="NAME", help="only the OKRs this team owns")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = (options["fmt"] or "").lower()
        if fmt not in FORMATS:
            raise CommandError(f"Unknown format {options['fmt']!r}: use {', '.join(FORMATS)}.")
        organization = self.organization(options["org"])
        period = self.period(organization, options["period"])
        team = self.team(organization, options["team"])
        member = self.reader(organization, options["as_email"])
        report = period_report(member, period, team)
        result = exports.export(report, fmt)
        output = options["output"]
        if output:
            try:
                Path(output).write_bytes(result.content)
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc.strerror or exc}.") from exc
            rows = sum(len(line.key_results) or 1 for line in report.objectives)
            self.stderr.write(f"Wrote {output} ({rows} rows, {len(result.content)} bytes).")
            return
        if fmt == exports.Format.XLSX:
            if sys.stdout.isatty():
                raise CommandError("XLSX is binary: give --output FILE, or redirect the output.")
            sys.stdout.buffer.write(result.content)
            sys.stdout.flush()
            return
        self.stdout.write(result.content.decode("utf-8-sig"), ending="")

    def organization(self, slug: str | None) -> Organization:
        if not slug:
            raise CommandError("Say which organization: --org SLUG.")
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"No organization with the slug {slug!r}.")
        return organization

    def period(self, organization: Organization, name: str | None) -> Period:
        periods = Period.objects.in_org(organization).order_by("start", "end")
        known = [p.name for p in periods]
        choices = f"one of {', '.join(map(repr, known))}" if known else "it has no period yet"
        if not name:
            raise CommandError(f"Say which period: --period NAME ({choices}).")
        period = periods.filter(name__iexact=name.strip()).first()
        if period is None:
            raise CommandError(f"No period {name!r} in {organization.slug!r}: {choices}.")
        return period

    def team(self, organization: Organization, name: str | None) -> Team | None:
        if not name:
            return None
        team = Team.objects.in_org(organization).filter(name__iexact=name.strip()).first()
        if team is None:
            raise CommandError(f"No team {name!r} in {organization.slug!r}.")
        return team

    def reader(self, organization: Organization, email: str | None) -> Member:
        members = Member.objects.in_org(organization).select_related("organization", "user")
        if email:
            member = members.filter(user__email__iexact=email.strip(), is_active=True).first()
            if member is None:
                raise CommandError(f"{email} is not an active member of {organization.slug!r}.")
            return member
        # Any admin sees everything: the first one reads for the operator.
        admin = members.filter(role=Role.ADMIN, is_active=True).order_by("created_at", "id").first()
        if admin is None:
            raise CommandError(f"{organization.slug!r} has no active admin: use --as EMAIL.")
        return admin
