"""Closed periods are read-only: the one check every write path makes.

An objective is closed when its period closes, or when every owning team has closed the
period for its own OKRs (`Objective.closed_at`, kept by `reporting.services`). Its key
results, check-ins, dependencies, syncs and alignment upwards are closed with it; an
initiative follows its own period and team, so work deferred into the next period stays
writable. Carry-over writes only new rows in the next period.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from cairn.okrs.models import Initiative, KeyResult, Objective
from cairn.orgs.models import Period, PeriodState, Team, TeamClosure


class PeriodClosed(ValidationError):
    """A write to something of a closed period: answered 409 with its message by the API
    and by the web UI (`okrs.middleware`), never as a form's error: nothing in the input
    could fix it."""

    # Read by `orgs.forms.attach_errors` (orgs cannot import this): raised on, not shown.
    answers_the_request = True


def _closed_message(period: Period) -> str:
    return _(
        "%(period)s is closed: its objectives and key results are read-only. "
        "An admin can reopen it with a reason."
    ) % {"period": period.name}


def ensure_open(objective: Objective) -> None:
    """Refuse any change to a closed objective, its key results and their check-ins.

    The flag is read again from the row, locked for the rest of the writer's transaction:
    the caller's copy may be older than a close that committed since, and a close running
    now (it updates this row) must either finish first or wait for this write."""
    if objective.closed_at is None and objective.pk is not None:
        fresh = Objective.objects.filter(pk=objective.pk)
        if connection.in_atomic_block:
            fresh = fresh.select_for_update()
        objective.closed_at = fresh.values_list("closed_at", flat=True).first()
    if objective.closed_at is not None:
        period = objective.period
        if period.state == PeriodState.CLOSED:
            raise PeriodClosed(_closed_message(period))
        raise PeriodClosed(
            _(
                "Its owning teams closed %(period)s for their own OKRs: this objective and its "
                "key results are read-only. An admin can reopen it with a reason."
            )
            % {"period": period.name}
        )


def ensure_key_result_open(key_result: KeyResult) -> None:
    ensure_open(key_result.objective)


def closed_team_ids(period: Period) -> set[int]:
    return set(TeamClosure.objects.filter(period=period).values_list("team_id", flat=True))


def ensure_period_open(period: Period, teams: list[Team] | None = None) -> None:
    """Refuse new work in a closed period, or for owning teams that have all closed it."""
    if period.state == PeriodState.CLOSED:
        raise PeriodClosed(_closed_message(period))
    if teams:
        closed = closed_team_ids(period)
        if all(team.pk in closed for team in teams):
            raise PeriodClosed(
                _("%(teams)s closed %(period)s for its own OKRs: they are read-only.")
                % {"teams": ", ".join(team.name for team in teams), "period": period.name}
            )


def ensure_initiative_open(initiative: Initiative) -> None:
    """An initiative in its objective's period is as closed as its objective (whichever
    team does the work); one deferred into a later period follows that period and its own
    team."""
    if initiative.period_id == initiative.objective.period_id:
        ensure_open(initiative.objective)
    else:
        ensure_period_open(initiative.period, [initiative.team])
