"""The floor: for each scenario, the rows its page shows, fetched by hand-written SQL in one
round trip per table (joins allowed), timed in the same process as the page.

It is what the database must do at least for the page, nothing more: it fetches, it does not
render. To stay comparable with the app:
- every floor starts as a request does: the session row, the member with their user and
  organization (one join), and the member's teams;
- the member's floor carries the same privacy rule as the gate (`visible_to`): an objective
  is public, theirs, owned by one of their teams or shared with them; a key result also needs
  its own visibility (public, theirs, their objective, their team's, shared with them). An
  admin's has only the organization filter, as the gate;
- lists the app reads in two steps (a page of objectives, then their key results) are two
  round trips here too, the second with the ids of the first inlined as parameters (the ids
  are read when the plan is built, before the timing: the same rows either way);
- carry-over links (continued from / into) are in the objective and key result pages' floors
  (folded into the same round trip); the API lists leave them out.

Plain SQL that SQLite and PostgreSQL both run: `%(name)s` parameters through Django's cursor,
`WITH RECURSIVE` (standard SQL) for the alignment chain, no vendor functions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from benchmarks.subjects import Subjects
from cairn.orgs.models import Member

Params = dict[str, Any]


def db(value: Any) -> Any:
    """A Python value as the database stores it (UUIDs are text on SQLite, datetimes naive
    UTC text there): what the ORM would send."""
    ops = connection.ops
    if isinstance(value, uuid.UUID):
        return models.UUIDField().get_db_prep_value(value, connection)
    if isinstance(value, dt.datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return ops.adapt_datefield_value(value)
    if isinstance(value, Decimal):
        return ops.adapt_decimalfield_value(value)
    return value


@dataclass(frozen=True)
class Statement:
    sql: str
    params: Params | Callable[[], Params]

    def values(self) -> Params:
        return self.params() if callable(self.params) else self.params


@dataclass
class Plan:
    statements: list[Statement]
    # Run in one transaction (the write).
    write: bool = False

    @property
    def round_trips(self) -> int:
        return len(self.statements)

    def run(self) -> int:
        """Execute every statement and fetch every row; the number of rows fetched."""
        rows = 0
        atomic = transaction.atomic() if self.write else nullcontext()
        with atomic, connection.cursor() as cursor:
            for statement in self.statements:
                cursor.execute(statement.sql, statement.values())
                if cursor.description is not None:
                    rows += len(cursor.fetchall())
        return rows


def in_list(name: str, ids: Iterable[Any], params: Params) -> str:
    """`(%(name0)s, ...)` with the values added to `params`; `(NULL)` (never true) if none."""
    names = []
    for index, value in enumerate(ids):
        params[f"{name}{index}"] = db(value)
        names.append(f"%({name}{index})s")
    return f"({', '.join(names)})" if names else "(NULL)"


def person(alias: str, fk: str) -> str:
    """LEFT JOINs from a member foreign key to the member and their user (`<alias>u.name`)."""
    return (
        f"LEFT JOIN orgs_member {alias}m ON {alias}m.id = {fk} "
        f"LEFT JOIN orgs_user {alias}u ON {alias}u.id = {alias}m.user_id"
    )


OBJECTIVE = (
    "o.id, o.uid, o.title, o.visibility, o.owner_person_id, o.period_id, o.closed_at, o.created_at"
)
KEY_RESULT = (
    "k.id, k.uid, k.objective_id, k.title, k.kind, k.start_value, k.target_value, "
    "k.current_value, k.unit, k.direction, k.weight, k.position, k.owner_id, k.confidence, "
    "k.last_check_in_at, k.next_up_due, k.open_blockers, k.unaccepted_dependencies, k.score, "
    "k.visibility, k.created_at"
)
CHECK_IN_TEXTS = (
    "progress_comment",
    "confidence_needs",
    "confidence_mitigation",
    "next_up_plan",
    "reflection_learned",
    "context_why",
    "context_baseline",
    "context_tactic",
    "result_worked",
    "result_did_not_work",
    "result_learned",
    "result_override_reason",
    "blocker_resolution",
)
CHECK_IN = (
    "c.id, c.uid, c.key_result_id, c.author_id, c.at, c.progress_value, c.confidence, "
    "c.next_up_due, c.reflection_outcome, c.result_value, c.result_score, "
    "c.result_score_overridden, c.is_insight, c.is_blocker, c.blocker_resolved_at, "
    "c.edited_at, c.deleted_at, " + ", ".join(f"c.{name}" for name in CHECK_IN_TEXTS)
)


@dataclass
class Context:
    """Who the floor reads for, and the parameters every statement shares."""

    subjects: Subjects
    who: Member
    session_key: str
    team_ids: list[int]
    params: Params = field(default_factory=dict)
    # `(%(myt0)s, ...)`: the member's teams, as the gate's subquery would find them.
    teams_sql: str = "(NULL)"

    @classmethod
    def of(cls, subjects: Subjects, who: Member, session_key: str) -> Context:
        team_ids = sorted(
            {
                *who.team_memberships.values_list("team_id", flat=True),
                *who.led_teams.values_list("id", flat=True),
            }
        )
        ctx = cls(subjects, who, session_key, team_ids)
        ctx.params = {
            "org": subjects.org.pk,
            "slug": subjects.org.slug,
            "me": who.pk,
            "user": who.user_id,
            "session": session_key,
            "now": db(timezone.now()),
            "today": db(subjects.org.today()),
            "public": "public",
            "private": "private",
            "yes": True,
            "no": False,
        }
        ctx.teams_sql = in_list("myt", team_ids, ctx.params)
        return ctx

    def statement(self, sql: str, **extra: Any) -> Statement:
        return Statement(sql, {**self.params, **{k: db(v) for k, v in extra.items()}})

    def ids(self, sql: str, **extra: Any) -> list[Any]:
        """The first column of a query, read once when the plan is built (not timed)."""
        with connection.cursor() as cursor:
            cursor.execute(sql, self.statement(sql, **extra).values())
            return [row[0] for row in cursor.fetchall()]

    # The gate, as SQL -------------------------------------------------------------------

    def objective_visible(self, o: str) -> str:
        if self.who.is_admin:
            return "1 = 1"
        return (
            f"({o}.visibility = %(public)s OR {o}.owner_person_id = %(me)s"
            f" OR EXISTS (SELECT 1 FROM okrs_objectiveteam vt WHERE vt.objective_id = {o}.id"
            f" AND vt.team_id IN {self.teams_sql})"
            f" OR EXISTS (SELECT 1 FROM okrs_objective_shared_with vs"
            f" WHERE vs.objective_id = {o}.id AND vs.member_id = %(me)s))"
        )

    def key_result_visible(self, k: str, o: str) -> str:
        """`k` joined to its objective `o`."""
        if self.who.is_admin:
            return "1 = 1"
        return (
            f"({self.objective_visible(o)} AND ({k}.visibility = %(public)s"
            f" OR {k}.owner_id = %(me)s OR {o}.owner_person_id = %(me)s"
            f" OR EXISTS (SELECT 1 FROM okrs_objectiveteam vk"
            f" WHERE vk.objective_id = {k}.objective_id AND vk.team_id IN {self.teams_sql})"
            f" OR EXISTS (SELECT 1 FROM okrs_keyresult_shared_with vw"
            f" WHERE vw.keyresult_id = {k}.id AND vw.member_id = %(me)s)))"
        )

    # What every request reads first ------------------------------------------------------

    def request(self) -> list[Statement]:
        return [
            self.statement(
                "SELECT session_data FROM django_session"
                " WHERE session_key = %(session)s AND expire_date > %(now)s"
            ),
            self.statement(
                "SELECT m.id, m.uid, m.role, m.is_active, u.id, u.password, u.email, u.name,"
                " og.id, og.slug, og.name, og.time_zone, og.week_start, og.checkin_cadence,"
                " og.checkin_weekday, og.achieved_threshold"
                " FROM orgs_member m JOIN orgs_user u ON u.id = m.user_id"
                " JOIN orgs_organization og ON og.id = m.organization_id"
                " WHERE m.user_id = %(user)s AND og.slug = %(slug)s AND m.is_active = %(yes)s"
            ),
            self.statement(
                "SELECT tm.team_id FROM orgs_teammembership tm WHERE tm.member_id = %(me)s"
                " UNION SELECT t.id FROM orgs_team t WHERE t.lead_id = %(me)s"
            ),
        ]

    def periods(self) -> Statement:
        return self.statement(
            'SELECT p.id, p.uid, p.name, p.kind, p.start, p."end", p.state, p.closed_at,'
            " cbu.name FROM orgs_period p "
            + person("cb", "p.closed_by_id")
            + ' WHERE p.organization_id = %(org)s ORDER BY p.start DESC, p."end" DESC'
        )

    def teams(self) -> Statement:
        return self.statement(
            "SELECT t.id, t.uid, t.name, t.parent_id, t.lead_id FROM orgs_team t"
            " WHERE t.organization_id = %(org)s ORDER BY t.name"
        )

    def owning_teams(self, objective_ids: list[int]) -> Statement:
        params: Params = {}
        ids = in_list("ob", objective_ids, params)
        return self.statement(
            "SELECT ot.objective_id, t.id, t.uid, t.name, t.parent_id FROM okrs_objectiveteam ot"
            f" JOIN orgs_team t ON t.id = ot.team_id WHERE ot.objective_id IN {ids}",
            **params,
        )

    def key_results_of(self, objective_ids: list[int], extra_ids: Iterable[int] = ()) -> Statement:
        params: Params = {}
        objectives = in_list("ob", objective_ids, params)
        others = in_list("kx", extra_ids, params)
        return self.statement(
            f"SELECT {KEY_RESULT}, ou.name, ou.email FROM okrs_keyresult k"
            " JOIN okrs_objective o ON o.id = k.objective_id "
            + person("o", "k.owner_id")
            + f" WHERE k.organization_id = %(org)s AND (k.objective_id IN {objectives}"
            f" OR k.id IN {others}) AND {self.key_result_visible('k', 'o')}"
            " ORDER BY k.position, k.created_at, k.id",
            **params,
        )

    def history(self, kind: str, uid: uuid.UUID) -> Statement:
        return self.statement(
            "SELECT h.id, h.at, h.action, h.target_label, h.changes, h.note, au.name"
            " FROM orgs_historyevent h "
            + person("a", "h.actor_id")
            + " WHERE h.organization_id = %(org)s AND h.target_kind = %(kind)s"
            " AND h.target_uid = %(target)s ORDER BY h.at DESC, h.id DESC LIMIT 100",
            kind=kind,
            target=uid,
        )


def plan(name: str, subjects: Subjects, who: Member, session_key: str) -> Plan:
    """The floor of scenario `name` (`benchmarks.measure.scenarios`) for `who`."""
    from benchmarks import floor_api, floor_pages, floor_reports

    builders: dict[str, Callable[[Context], list[Statement]]] = {
        "inbox": floor_pages.inbox,
        "home": floor_pages.home,
        "team": floor_pages.team,
        "objective": floor_pages.objective,
        "key_result": floor_pages.key_result,
        "alignment_map": floor_reports.alignment_map,
        "alignment_health": floor_reports.alignment_health,
        "period_report": floor_reports.period_report,
        "export_csv": floor_reports.export_csv,
        "period_report_org": floor_reports.period_report_org,
        "api_objectives": floor_api.api_objectives,
        "api_key_results": floor_api.api_key_results,
        "api_check_ins": floor_api.api_check_ins,
        "api_inbox": floor_api.api_inbox,
        "api_objective": floor_api.api_objective,
        "api_key_result": floor_api.api_key_result,
        "check_in_write": floor_api.check_in_write,
    }
    ctx = Context.of(subjects, who, session_key)
    return Plan([*ctx.request(), *builders[name](ctx)], write=name == "check_in_write")
