"""The floors of the API lists and details, and of the check-in write (see `benchmarks.floor`
for the rules every floor follows). A list reads one page of 50 and one row more, as the API
does to tell whether there is a next page."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from benchmarks.floor import (
    CHECK_IN,
    KEY_RESULT,
    OBJECTIVE,
    Context,
    Params,
    Statement,
    db,
    in_list,
    person,
)
from benchmarks.floor_pages import inbox
from benchmarks.subjects import BENCH_COMMENT
from cairn.checkins.models import CheckIn
from cairn.checkins.services import default_next_up_due
from cairn.okrs.models import KeyResultKind

PAGE = 50


def _period(ctx: Context) -> Statement:
    return ctx.statement(
        'SELECT p.id, p.uid, p.name, p.start, p."end", p.state FROM orgs_period p'
        " WHERE p.organization_id = %(org)s AND p.uid = %(period_uid)s",
        period_uid=ctx.subjects.period.uid,
    )


def _people(ctx: Context, table: str, column: str, ids: list[int]) -> Statement:
    """Who each item is shared with."""
    params: Params = {}
    items = in_list("it", ids, params)
    return ctx.statement(
        f"SELECT sw.{column}, m.uid, u.name, u.email FROM {table} sw"
        " JOIN orgs_member m ON m.id = sw.member_id JOIN orgs_user u ON u.id = m.user_id"
        f" WHERE sw.{column} IN {items}",
        **params,
    )


def _objectives_out(ctx: Context, ids: list[int]) -> list[Statement]:
    """What the API says about each objective beyond its row: owning teams, who it is shared
    with, its visible key results, and what it is aligned to (visible or redacted)."""
    params: Params = {}
    children = in_list("ch", ids, params)
    return [
        ctx.owning_teams(ids),
        _people(ctx, "okrs_objective_shared_with", "objective_id", ids),
        ctx.key_results_of(ids),
        ctx.statement(
            "SELECT a.uid, a.child_id, po.uid, po.title, pk.uid, pk.title, pko.uid, pko.title,"
            f" CASE WHEN {ctx.objective_visible('po')} THEN 1 ELSE 0 END,"
            f" CASE WHEN {ctx.objective_visible('pko')} THEN 1 ELSE 0 END,"
            f" CASE WHEN {ctx.key_result_visible('pk', 'pko')} THEN 1 ELSE 0 END"
            " FROM okrs_alignment a LEFT JOIN okrs_objective po ON po.id = a.parent_objective_id"
            " LEFT JOIN okrs_keyresult pk ON pk.id = a.parent_key_result_id"
            " LEFT JOIN okrs_objective pko ON pko.id = pk.objective_id"
            f" WHERE a.organization_id = %(org)s AND a.child_id IN {children}"
            " ORDER BY a.created_at, a.id",
            **params,
        ),
    ]


OBJECTIVE_ROW = (
    f'SELECT {OBJECTIVE}, o.description, o.updated_at, p.uid, p.name, p.start, p."end",'
    " om.uid, ou.name, ou.email FROM okrs_objective o JOIN orgs_period p ON p.id = o.period_id "
    + person("o", "o.owner_person_id")
)


def api_objectives(ctx: Context) -> list[Statement]:
    sql = (
        OBJECTIVE_ROW + " WHERE o.organization_id = %(org)s AND o.period_id = %(period)s"
        f" AND {ctx.objective_visible('o')} ORDER BY o.created_at, o.id LIMIT {PAGE + 1}"
    )
    ids = ctx.ids(sql, period=ctx.subjects.period.pk)[:PAGE]
    return [
        _period(ctx),
        ctx.statement(sql, period=ctx.subjects.period.pk),
        *_objectives_out(ctx, ids),
    ]


def api_objective(ctx: Context) -> list[Statement]:
    the = ctx.subjects.objective
    return [
        ctx.statement(
            OBJECTIVE_ROW + " WHERE o.organization_id = %(org)s AND o.uid = %(uid)s"
            f" AND {ctx.objective_visible('o')}",
            uid=the.uid,
        ),
        *_objectives_out(ctx, [the.pk]),
    ]


# The current Next Up's plan: the latest live check-in with one.
NEXT_UP_PLAN = (
    "(SELECT c.next_up_plan FROM checkins_checkin c WHERE c.key_result_id = k.id"
    " AND c.deleted_at IS NULL AND c.next_up_plan <> '' ORDER BY c.at DESC, c.id DESC LIMIT 1)"
)
KEY_RESULT_ROW = (
    f"SELECT {KEY_RESULT}, k.description, k.context_why, k.context_baseline, k.context_tactic,"
    " k.context_outdated, k.scored_at, k.continued_from_id, k.updated_at, o.uid, o.title,"
    f" o.closed_at, o.owner_person_id, om.uid, ou.name, ou.email, {NEXT_UP_PLAN}"
    " FROM okrs_keyresult k JOIN okrs_objective o ON o.id = k.objective_id "
    + person("o", "k.owner_id")
)


def _key_results_out(ctx: Context, ids: list[int], objective_ids: list[int]) -> list[Statement]:
    params: Params = {}
    objectives = in_list("ob", objective_ids, params)
    return [
        _people(ctx, "okrs_keyresult_shared_with", "keyresult_id", ids),
        ctx.statement(
            "SELECT ot.objective_id, ot.team_id FROM okrs_objectiveteam ot"
            f" WHERE ot.objective_id IN {objectives}",
            **params,
        ),
    ]


def api_key_results(ctx: Context) -> list[Statement]:
    period = ctx.subjects.period.pk
    sql = (
        KEY_RESULT_ROW + " WHERE k.organization_id = %(org)s AND o.period_id = %(period)s"
        f" AND {ctx.key_result_visible('k', 'o')} ORDER BY k.created_at, k.id LIMIT {PAGE + 1}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ctx.statement(sql, period=period).values())
        rows = cursor.fetchall()[:PAGE]
    ids, objective_ids = [row[0] for row in rows], sorted({row[2] for row in rows})
    return [
        _period(ctx),
        ctx.statement(sql, period=period),
        *_key_results_out(ctx, ids, objective_ids),
    ]


def api_key_result(ctx: Context) -> list[Statement]:
    kr = ctx.subjects.heavy_key_result
    return [
        ctx.statement(
            KEY_RESULT_ROW + " WHERE k.organization_id = %(org)s AND k.uid = %(uid)s"
            f" AND {ctx.key_result_visible('k', 'o')}",
            uid=kr.uid,
        ),
        *_key_results_out(ctx, [kr.pk], [kr.objective_id]),
    ]


def api_check_ins(ctx: Context) -> list[Statement]:
    kr = ctx.subjects.heavy_key_result
    return [
        ctx.statement(
            "SELECT k.id, k.uid, k.title FROM okrs_keyresult k"
            " JOIN okrs_objective o ON o.id = k.objective_id"
            " WHERE k.organization_id = %(org)s AND k.uid = %(uid)s"
            f" AND {ctx.key_result_visible('k', 'o')}",
            uid=kr.uid,
        ),
        ctx.statement(
            f"SELECT {CHECK_IN}, am.uid, au.name, au.email, dm.uid, du.name, rm.uid, ru.name,"
            " rc.uid FROM checkins_checkin c "
            + person("a", "c.author_id")
            + " "
            + person("d", "c.deleted_by_id")
            + " "
            + person("r", "c.blocker_resolved_by_id")
            + " LEFT JOIN checkins_checkin rc ON rc.id = c.reflects_on_id"
            " WHERE c.organization_id = %(org)s AND c.key_result_id = %(kr)s"
            f" ORDER BY c.at DESC, c.id DESC LIMIT {PAGE + 1}",
            kr=kr.pk,
        ),
    ]


def api_inbox(ctx: Context) -> list[Statement]:
    return inbox(ctx, api=True)


def check_in_write(ctx: Context) -> list[Statement]:
    """In one transaction: the key result through the gate (with what says whether it is
    still open), the new check-in (value, comment, confidence, next up), and its roll-ups on
    the key result. Each run records a check-in, as each request of the scenario does."""
    kr = ctx.subjects.write_key_result
    value = kr.current_value if kr.kind != KeyResultKind.MILESTONE else Decimal(0)
    due = default_next_up_due(ctx.subjects.org)
    fields = [f for f in CheckIn._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f.column for f in fields)
    placeholders = ", ".join(f"%({f.column})s" for f in fields)

    def insert() -> Params:
        values: dict[str, Any] = {
            "uid": uuid.uuid4(),
            "organization_id": ctx.subjects.org.pk,
            "key_result_id": kr.pk,
            "author_id": ctx.who.pk,
            "at": timezone.now(),
            "progress_value": value,
            "progress_comment": BENCH_COMMENT,
            "confidence": 7,
            "next_up_plan": "Benchmark: the next step, and how.",
            "next_up_due": due,
        }
        return {
            f.column: f.get_db_prep_save(values.get(f.attname, f.get_default()), connection)
            for f in fields
        }

    def roll_up() -> Params:
        return {"kr": kr.pk, "value": db(value), "due": db(due), "at": db(timezone.now())}

    return [
        ctx.statement(
            "SELECT k.id, k.kind, k.start_value, k.target_value, k.current_value,"
            ' k.last_check_in_at, o.closed_at, p.state, p."end" FROM okrs_keyresult k'
            " JOIN okrs_objective o ON o.id = k.objective_id"
            " JOIN orgs_period p ON p.id = o.period_id"
            " WHERE k.organization_id = %(org)s AND k.uid = %(uid)s"
            f" AND {ctx.key_result_visible('k', 'o')}",
            uid=kr.uid,
        ),
        Statement(f"INSERT INTO checkins_checkin ({columns}) VALUES ({placeholders})", insert),
        Statement(
            "UPDATE okrs_keyresult SET current_value = %(value)s, confidence = 7,"
            " next_up_due = %(due)s, last_check_in_at = %(at)s WHERE id = %(kr)s",
            roll_up,
        ),
    ]
