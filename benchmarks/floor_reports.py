"""The floors of the period-wide pages: the alignment map, the alignment health report, the
period report and its CSV export (see `benchmarks.floor` for the rules every floor follows)."""

from __future__ import annotations

from django.db import connection

from benchmarks.floor import (
    CHECK_IN_TEXTS,
    KEY_RESULT,
    OBJECTIVE,
    Context,
    Params,
    Statement,
    in_list,
    person,
)
from benchmarks.floor_pages import period_objectives


def _period_join(ctx: Context, select: str, *, extra: str = "") -> str:
    """`select` over the owning-team links of the period's visible objectives."""
    return (
        f"SELECT {select} FROM okrs_objectiveteam ot"
        " JOIN okrs_objective o ON o.id = ot.objective_id"
        f" WHERE o.organization_id = %(org)s AND o.period_id = %(period)s"
        f" AND {ctx.objective_visible('o')}{extra}"
    )


def alignment_map(ctx: Context) -> list[Statement]:
    """Periods, teams, the links touching the period, the period's visible objectives and
    those at the other end of a link (one read), their owning teams, the period's visible key
    results and the parent key results elsewhere (one read), the visible dependencies."""
    params: Params = {"period": ctx.subjects.period.pk}
    links_sql = (
        "SELECT a.child_id, a.parent_objective_id, a.parent_key_result_id, pk.objective_id"
        " FROM okrs_alignment a JOIN okrs_objective co ON co.id = a.child_id"
        " LEFT JOIN okrs_objective po ON po.id = a.parent_objective_id"
        " LEFT JOIN okrs_keyresult pk ON pk.id = a.parent_key_result_id"
        " LEFT JOIN okrs_objective pko ON pko.id = pk.objective_id"
        " WHERE a.organization_id = %(org)s AND (co.period_id = %(period)s"
        " OR po.period_id = %(period)s OR pko.period_id = %(period)s)"
        " ORDER BY a.created_at, a.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(links_sql, ctx.statement(links_sql, **params).values())
        links = cursor.fetchall()
    ends = in_list(
        "end", sorted({row[0] for row in links} | {row[1] or row[3] for row in links}), params
    )
    parent_krs = in_list("pkr", sorted({row[2] for row in links if row[2]}), params)
    return [
        ctx.periods(),
        ctx.teams(),
        ctx.statement(links_sql, **params),
        ctx.statement(
            f"SELECT {OBJECTIVE}, p.name, ou.name FROM okrs_objective o"
            " JOIN orgs_period p ON p.id = o.period_id "
            + person("o", "o.owner_person_id")
            + " WHERE o.organization_id = %(org)s"
            f" AND (o.period_id = %(period)s OR o.id IN {ends})"
            f" AND {ctx.objective_visible('o')} ORDER BY o.created_at, o.id",
            **params,
        ),
        ctx.statement(_period_join(ctx, "ot.objective_id, ot.team_id"), **params),
        ctx.statement(
            f"SELECT {KEY_RESULT} FROM okrs_keyresult k"
            " JOIN okrs_objective o ON o.id = k.objective_id WHERE k.organization_id = %(org)s"
            f" AND (o.period_id = %(period)s OR k.id IN {parent_krs})"
            f" AND {ctx.key_result_visible('k', 'o')} ORDER BY k.position, k.created_at, k.id",
            **params,
        ),
        ctx.statement(
            "SELECT d.id, d.uid, d.need, d.due, d.state, d.objective_id, d.key_result_id,"
            " d.requesting_team_id, d.providing_team_id FROM alignment_dependency d"
            " JOIN okrs_objective o ON o.id = d.objective_id"
            " LEFT JOIN okrs_keyresult k ON k.id = d.key_result_id"
            " WHERE d.organization_id = %(org)s AND o.period_id = %(period)s"
            " AND d.state NOT IN (%(made_shared)s, %(withdrawn)s)"
            f" AND {ctx.objective_visible('o')}"
            f" AND (d.key_result_id IS NULL OR {ctx.key_result_visible('k', 'o')})"
            " ORDER BY d.created_at, d.id",
            made_shared="made_shared",
            withdrawn="withdrawn",
            **params,
        ),
    ]


def alignment_health(ctx: Context) -> list[Statement]:
    """Periods, teams, the period's objectives (the visible ones, and a flag on the private
    ones the member may not see: counted, not shown), their owning teams, which are aligned,
    the visible dependencies, the over-optimistic key results (and the hidden private ones,
    flagged), and which owning teams work on the shared OKRs."""
    params: Params = {"period": ctx.subjects.period.pk}
    visible_o = ctx.objective_visible("o")
    visible_k = ctx.key_result_visible("k", "o")
    shared = ctx.ids(
        _period_join(ctx, "ot.objective_id", extra=" GROUP BY ot.objective_id HAVING COUNT(*) > 1"),
        **params,
    )
    shared_sql = in_list("sh", shared, params)
    return [
        ctx.periods(),
        ctx.teams(),
        ctx.statement(
            f"SELECT {OBJECTIVE}, ou.name, CASE WHEN {visible_o} THEN 1 ELSE 0 END"
            " FROM okrs_objective o "
            + person("o", "o.owner_person_id")
            + " WHERE o.organization_id = %(org)s AND o.period_id = %(period)s"
            f" AND ({visible_o} OR o.visibility = %(private)s) ORDER BY o.created_at, o.id",
            **params,
        ),
        ctx.statement(_period_join(ctx, "ot.objective_id, ot.team_id"), **params),
        ctx.statement(
            "SELECT DISTINCT a.child_id FROM okrs_alignment a"
            " JOIN okrs_objective o ON o.id = a.child_id"
            f" WHERE a.organization_id = %(org)s AND o.period_id = %(period)s AND {visible_o}",
            **params,
        ),
        ctx.statement(
            "SELECT d.id, d.uid, d.need, d.state, d.asked_at, d.answered_at,"
            " d.requesting_team_id, d.providing_team_id, o.uid, o.title"
            " FROM alignment_dependency d JOIN okrs_objective o ON o.id = d.objective_id"
            " LEFT JOIN okrs_keyresult k ON k.id = d.key_result_id"
            " WHERE d.organization_id = %(org)s AND o.period_id = %(period)s"
            f" AND {visible_o} AND (d.key_result_id IS NULL OR {visible_k})"
            " ORDER BY d.asked_at, d.id",
            **params,
        ),
        ctx.statement(
            f"SELECT k.id, k.uid, k.title, k.objective_id, o.uid, o.title,"
            f" CASE WHEN {visible_k} THEN 1 ELSE 0 END FROM okrs_keyresult k"
            " JOIN okrs_objective o ON o.id = k.objective_id"
            " WHERE k.organization_id = %(org)s AND o.period_id = %(period)s"
            f" AND ((k.unaccepted_dependencies > 0 AND {visible_k})"
            # Not NOT: comparisons with a NULL owner make the rule NULL, never false.
            f" OR (k.visibility = %(private)s AND CASE WHEN {visible_k} THEN 0 ELSE 1 END = 1))"
            " ORDER BY o.created_at, o.id, k.position, k.id",
            **params,
        ),
        ctx.statement(
            "SELECT DISTINCT i.objective_id, i.team_id FROM okrs_initiative i"
            " JOIN okrs_objective o ON o.id = i.objective_id"
            " LEFT JOIN okrs_keyresult k ON k.id = i.key_result_id"
            f" WHERE i.objective_id IN {shared_sql} AND (i.key_result_id IS NULL OR {visible_k})",
            **params,
        ),
    ]


def period_report(ctx: Context, *, page: bool = True, team: bool = True) -> list[Statement]:
    """Every period with who closed it (the report's period, its closing and calibration's
    periods), the teams' own closures while it is open, the teams (the page's filter), the
    period's visible objectives, their owning teams and visible key results, and every live
    check-in on those (day, confidence and author for coverage and calibration; the words of
    the blockers, insights and results)."""
    period = ctx.subjects.report_period
    params: Params = {"period": period.pk}
    # The team's report (`?team=`): the objectives it owns, shared ones included.
    owned = (
        " AND EXISTS (SELECT 1 FROM okrs_objectiveteam rt WHERE rt.objective_id = o.id"
        " AND rt.team_id = %(report_team)s)"
        if team
        else ""
    )
    if team:
        params["report_team"] = ctx.subjects.team.pk
    sql, _params = period_objectives(ctx, period.pk, owned)
    ids = ctx.ids(sql, **params)
    flagged = "(c.is_blocker OR c.is_insight OR c.result_score IS NOT NULL)"
    texts = ", ".join(f"CASE WHEN {flagged} THEN c.{name} END" for name in CHECK_IN_TEXTS)
    out = [ctx.periods()]
    if period.closed_at is None:
        out.append(
            ctx.statement(
                "SELECT tc.team_id, t.uid, t.name, tc.closed_at, cu.name FROM orgs_teamclosure tc"
                " JOIN orgs_team t ON t.id = tc.team_id "
                + person("c", "tc.closed_by_id")
                + " WHERE tc.period_id = %(period)s ORDER BY t.name, tc.id",
                **params,
            )
        )
    if page:
        out.append(ctx.teams())
    out += [
        ctx.statement(sql, **params),
        ctx.owning_teams(ids),
        ctx.key_results_of(ids),
        ctx.statement(
            "SELECT c.id, c.key_result_id, c.at, c.author_id, c.confidence, c.is_blocker,"
            " c.is_insight, c.result_value, c.result_score, c.result_score_overridden,"
            f" c.blocker_resolved_at, {texts}, au.name FROM checkins_checkin c"
            " JOIN okrs_keyresult k ON k.id = c.key_result_id"
            " JOIN okrs_objective o ON o.id = k.objective_id "
            + person("a", "c.author_id")
            + " WHERE c.organization_id = %(org)s AND o.period_id = %(period)s"
            f"{owned} AND c.deleted_at IS NULL AND {ctx.key_result_visible('k', 'o')}"
            " ORDER BY c.at, c.id",
            **params,
        ),
    ]
    return out


def export_csv(ctx: Context) -> list[Statement]:
    """The team report's rows, without the page's list of teams."""
    return period_report(ctx, page=False)


def period_report_org(ctx: Context) -> list[Statement]:
    """The whole organization's report."""
    return period_report(ctx, team=False)
