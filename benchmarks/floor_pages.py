"""The floors of the web pages people read most: inbox, home, team, objective, key result
(see `benchmarks.floor` for the rules every floor follows)."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from benchmarks.floor import (
    CHECK_IN,
    KEY_RESULT,
    OBJECTIVE,
    Context,
    Params,
    Statement,
    in_list,
    person,
)

# Pages -------------------------------------------------------------------------------------


def inbox(ctx: Context, *, api: bool = False) -> list[Statement]:
    """Due key results and missing results (one read of the key results), open blockers
    raised by me or on my teams' key results, requests to my teams, my teams' shared OKRs with
    their latest sync; the API adds the blockers' owning teams."""
    gate_kr = ctx.key_result_visible("k", "o")
    out = [
        ctx.statement(
            f'SELECT {KEY_RESULT}, o.uid, o.title, p.id, p.name, p.start, p."end", p.state,'
            " ou.name, ou.email FROM okrs_keyresult k"
            " JOIN okrs_objective o ON o.id = k.objective_id"
            " JOIN orgs_period p ON p.id = o.period_id "
            + person("o", "k.owner_id")
            + " WHERE k.organization_id = %(org)s"
            " AND (k.owner_id = %(me)s OR (k.owner_id IS NULL AND o.owner_person_id = %(me)s))"
            " AND o.closed_at IS NULL AND k.score IS NULL"
            " AND (p.state = %(active)s"
            ' OR (p."end" <= %(results_until)s AND p.state <> %(closed)s))'
            f" AND {gate_kr} ORDER BY p.start, o.created_at, k.position, k.id",
            active="active",
            closed="closed",
            results_until=ctx.subjects.org.today() + dt.timedelta(days=14),
        )
    ]
    blockers = (
        " FROM checkins_checkin c JOIN okrs_keyresult k ON k.id = c.key_result_id"
        " JOIN okrs_objective o ON o.id = k.objective_id"
        " JOIN orgs_period p ON p.id = o.period_id "
        + person("a", "c.author_id")
        + " "
        + person("o", "k.owner_id")
        + " WHERE c.organization_id = %(org)s AND c.is_blocker"
        " AND c.blocker_resolved_at IS NULL AND c.deleted_at IS NULL AND o.closed_at IS NULL"
        " AND (c.author_id = %(me)s OR k.owner_id = %(me)s OR EXISTS (SELECT 1"
        " FROM okrs_objectiveteam bt WHERE bt.objective_id = k.objective_id"
        f" AND bt.team_id IN {ctx.teams_sql})) AND {gate_kr}"
    )
    out.append(
        ctx.statement(
            f"SELECT {CHECK_IN}, k.uid, k.title, k.owner_id, o.id, o.uid, o.title, p.uid,"
            f" p.name, au.name, ou.name {blockers} ORDER BY c.at, c.id"
        )
    )
    if api:
        out.append(ctx.owning_teams(ctx.ids(f"SELECT DISTINCT o.id {blockers}")))
    if ctx.team_ids:
        out.append(
            ctx.statement(
                "SELECT d.id, d.uid, d.need, d.due, d.state, d.created_at, o.uid, o.title,"
                " k.uid, k.title, rt.uid, rt.name, pt.uid, pt.name FROM alignment_dependency d"
                " JOIN okrs_objective o ON o.id = d.objective_id"
                " LEFT JOIN okrs_keyresult k ON k.id = d.key_result_id"
                " JOIN orgs_team rt ON rt.id = d.requesting_team_id"
                " JOIN orgs_team pt ON pt.id = d.providing_team_id"
                " WHERE d.organization_id = %(org)s AND d.state = %(proposed)s"
                f" AND d.providing_team_id IN {ctx.teams_sql} AND o.closed_at IS NULL"
                f" AND {ctx.objective_visible('o')}"
                f" AND (d.key_result_id IS NULL OR {gate_kr})"
                " ORDER BY CASE WHEN d.due IS NULL THEN 1 ELSE 0 END, d.due, d.created_at, d.id",
                proposed="proposed",
            )
        )
        out.append(
            ctx.statement(
                "SELECT o.id, o.uid, o.title, p.uid, p.name, p.start,"
                " (SELECT s.next_sync_on FROM checkins_sync s WHERE s.objective_id = o.id"
                " ORDER BY s.held_on DESC, s.created_at DESC, s.id DESC LIMIT 1),"
                " (SELECT s.held_on FROM checkins_sync s WHERE s.objective_id = o.id"
                " ORDER BY s.held_on DESC, s.created_at DESC, s.id DESC LIMIT 1)"
                " FROM okrs_objective o JOIN orgs_period p ON p.id = o.period_id"
                " WHERE o.organization_id = %(org)s AND p.state <> %(closed)s"
                " AND o.closed_at IS NULL AND EXISTS (SELECT 1 FROM okrs_objectiveteam mt"
                f" WHERE mt.objective_id = o.id AND mt.team_id IN {ctx.teams_sql})"
                " AND (SELECT COUNT(*) FROM okrs_objectiveteam nt"
                " WHERE nt.objective_id = o.id) >= 2"
                f" AND {ctx.objective_visible('o')} ORDER BY p.start, o.title, o.id",
                closed="closed",
            )
        )
    return out


def period_objectives(ctx: Context, period_id: int, extra: str = "") -> tuple[str, Params]:
    """The period's objectives the person may see (with their owner): the SQL and the ids."""
    sql = (
        f"SELECT {OBJECTIVE}, ou.name FROM okrs_objective o "
        + person("o", "o.owner_person_id")
        + f" WHERE o.organization_id = %(org)s AND o.period_id = %(period)s{extra}"
        f" AND {ctx.objective_visible('o')} ORDER BY o.created_at, o.id"
    )
    return sql, {"period": period_id}


def home(ctx: Context) -> list[Statement]:
    """Periods (the switcher), the team tree, the period's objectives, their owning teams and
    their visible key results."""
    sql, params = period_objectives(ctx, ctx.subjects.period.pk)
    ids = ctx.ids(sql, **params)
    return [
        ctx.periods(),
        ctx.teams(),
        ctx.statement(sql, **params),
        ctx.owning_teams(ids),
        ctx.key_results_of(ids),
    ]


def _tree(team_id: int, teams: list[tuple[int, int | None]]) -> list[int]:
    below: dict[int, list[int]] = {}
    for pk, parent in teams:
        if parent is not None:
            below.setdefault(parent, []).append(pk)
    found, todo = {team_id}, [team_id]
    while todo:
        for child in below.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return sorted(found)


def team(ctx: Context) -> list[Statement]:
    """Every team with its lead (the page's team, its parent, the tree below it), periods, the
    tree's objectives of the period with their owning teams, the team's key results (of those
    objectives, and its people's elsewhere), its initiatives, members and closure."""
    subjects = ctx.subjects
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, parent_id FROM orgs_team WHERE organization_id = %s", [subjects.org.pk]
        )
        tree = _tree(subjects.team.pk, list(cursor.fetchall()))
    params: Params = {"period": subjects.period.pk, "team": subjects.team.pk}
    tree_sql = in_list("tree", tree, params)
    owned = f"SELECT ow.objective_id FROM okrs_objectiveteam ow WHERE ow.team_id IN {tree_sql}"
    people = (
        f"SELECT pm.member_id FROM orgs_teammembership pm WHERE pm.team_id IN {tree_sql}"
        f" UNION SELECT pl.lead_id FROM orgs_team pl WHERE pl.id IN {tree_sql}"
    )
    sql, _period = period_objectives(ctx, subjects.period.pk, f" AND o.id IN ({owned})")
    ids = ctx.ids(sql, **params)
    return [
        ctx.statement(
            "SELECT t.id, t.uid, t.name, t.description, t.parent_id, t.lead_id, lu.name"
            " FROM orgs_team t "
            + person("l", "t.lead_id")
            + " WHERE t.organization_id = %(org)s ORDER BY t.name"
        ),
        ctx.periods(),
        ctx.statement(sql, **params),
        ctx.owning_teams(ids),
        ctx.statement(
            f"SELECT {KEY_RESULT}, o.uid, o.title, ou.name FROM okrs_keyresult k"
            " JOIN okrs_objective o ON o.id = k.objective_id "
            + person("o", "k.owner_id")
            + " WHERE k.organization_id = %(org)s AND o.period_id = %(period)s"
            f" AND (o.id IN ({owned}) OR k.owner_id IN ({people})"
            f" OR (k.owner_id IS NULL AND o.owner_person_id IN ({people})))"
            f" AND {ctx.key_result_visible('k', 'o')}"
            " ORDER BY o.created_at, o.id, k.position, k.id",
            **params,
        ),
        ctx.statement(
            "SELECT i.id, i.uid, i.title, i.state, i.due, i.period_id, o.uid, o.title, k.uid,"
            " k.title, ou.name FROM okrs_initiative i"
            " JOIN okrs_objective o ON o.id = i.objective_id"
            " LEFT JOIN okrs_keyresult k ON k.id = i.key_result_id "
            + person("o", "i.owner_id")
            + " WHERE i.organization_id = %(org)s AND i.team_id = %(team)s"
            " AND (i.period_id = %(period)s OR o.period_id = %(period)s)"
            f" AND {ctx.objective_visible('o')}"
            f" AND (i.key_result_id IS NULL OR {ctx.key_result_visible('k', 'o')})"
            " ORDER BY o.created_at, i.created_at, i.id",
            **params,
        ),
        ctx.statement(
            "SELECT m.id, m.uid, u.name, u.email FROM orgs_teammembership tm"
            " JOIN orgs_member m ON m.id = tm.member_id JOIN orgs_user u ON u.id = m.user_id"
            " WHERE tm.team_id = %(team)s AND m.is_active = %(yes)s ORDER BY u.name, u.email",
            **params,
        ),
        ctx.statement(
            "SELECT tc.id FROM orgs_teamclosure tc"
            " WHERE tc.period_id = %(period)s AND tc.team_id = %(team)s",
            **params,
        ),
    ]


def _chain(ctx: Context, objective_id: int) -> tuple[str, Params]:
    """The alignment links up to the top and down to the leaves from the objective: one
    recursive query (a link into a key result points into that key result's objective)."""
    sql = (
        "WITH RECURSIVE edges (id, child_id, parent_id, kr_id) AS ("
        " SELECT a.id, a.child_id, COALESCE(a.parent_objective_id, pk.objective_id),"
        " a.parent_key_result_id FROM okrs_alignment a"
        " LEFT JOIN okrs_keyresult pk ON pk.id = a.parent_key_result_id"
        " WHERE a.organization_id = %(org)s),"
        " up (id) AS (SELECT e.parent_id FROM edges e WHERE e.child_id = %(start)s"
        " UNION SELECT e.parent_id FROM edges e JOIN up ON e.child_id = up.id),"
        " down (id) AS (SELECT e.child_id FROM edges e WHERE e.parent_id = %(start)s"
        " UNION SELECT e.child_id FROM edges e JOIN down ON e.parent_id = down.id)"
        " SELECT e.id, e.child_id, e.parent_id, e.kr_id, a.uid FROM edges e"
        " JOIN okrs_alignment a ON a.id = e.id"
        " WHERE e.child_id = %(start)s OR e.child_id IN (SELECT id FROM up)"
        " OR e.parent_id = %(start)s OR e.parent_id IN (SELECT id FROM down)"
        " ORDER BY a.created_at, a.id"
    )
    return sql, {"start": objective_id}


def objective(ctx: Context) -> list[Statement]:
    """The objective with the objectives of its alignment chain and carry-over (one read),
    the chain's links, the owning teams, the visible key results (its own and the chain's
    parents), its initiatives and its history."""
    the = ctx.subjects.objective
    chain_sql, chain_params = _chain(ctx, the.pk)
    with connection.cursor() as cursor:
        cursor.execute(chain_sql, ctx.statement(chain_sql, **chain_params).values())
        edges = cursor.fetchall()
    params: Params = {"objective": the.pk, "from": the.continued_from_id or 0}
    on_chain = in_list("ch", sorted({e[1] for e in edges} | {e[2] for e in edges}), params)
    key_results = sorted({e[3] for e in edges if e[3]})
    return [
        ctx.statement(
            f"SELECT {OBJECTIVE}, o.description, o.continued_from_id, p.uid, p.name, p.start,"
            ' p."end", p.state, ou.name FROM okrs_objective o'
            " JOIN orgs_period p ON p.id = o.period_id "
            + person("o", "o.owner_person_id")
            + " WHERE o.organization_id = %(org)s AND (o.id = %(objective)s"
            f" OR o.id IN {on_chain} OR o.id = %(from)s OR o.continued_from_id = %(objective)s)"
            f" AND {ctx.objective_visible('o')}",
            **params,
        ),
        ctx.statement(chain_sql, **chain_params),
        ctx.owning_teams([the.pk]),
        ctx.key_results_of([the.pk], key_results),
        ctx.statement(
            "SELECT i.id, i.uid, i.title, i.state, i.due, i.team_id, t.uid, t.name, k.uid,"
            " k.title, p.name, ou.name FROM okrs_initiative i"
            " JOIN okrs_objective o ON o.id = i.objective_id"
            " JOIN orgs_team t ON t.id = i.team_id JOIN orgs_period p ON p.id = i.period_id"
            " LEFT JOIN okrs_keyresult k ON k.id = i.key_result_id "
            + person("o", "i.owner_id")
            + " WHERE i.organization_id = %(org)s AND i.objective_id = %(objective)s"
            f" AND (i.key_result_id IS NULL OR {ctx.key_result_visible('k', 'o')})"
            " ORDER BY i.created_at, i.id",
            **params,
        ),
        ctx.history("objective", the.uid),
    ]


def key_result(ctx: Context) -> list[Statement]:
    """The key result with its objective, period (and who closed it) and carry-over, the
    objective's owning teams, every check-in with its people and what it reflects on, their
    revisions, its initiatives, what leans on it (dependencies not accepted, when any), what
    aligns to it, and its history."""
    kr = ctx.subjects.heavy_key_result
    params: Params = {"kr": kr.pk, "uid": kr.uid, "from": kr.continued_from_id or 0}
    out = [
        ctx.statement(
            f"SELECT {KEY_RESULT}, k.description, k.context_why, k.context_baseline,"
            ' k.context_tactic, o.uid, o.title, o.closed_at, p.name, p.start, p."end",'
            " p.state, p.closed_at, ou.name, cbu.name FROM okrs_keyresult k"
            " JOIN okrs_objective o ON o.id = k.objective_id"
            " JOIN orgs_period p ON p.id = o.period_id "
            + person("o", "k.owner_id")
            + " "
            + person("cb", "p.closed_by_id")
            + " WHERE k.organization_id = %(org)s AND (k.uid = %(uid)s OR k.id = %(from)s"
            f" OR k.continued_from_id = %(kr)s) AND {ctx.key_result_visible('k', 'o')}",
            **params,
        ),
        ctx.owning_teams([kr.objective_id]),
        ctx.statement(
            f"SELECT {CHECK_IN}, au.name, du.name, ru.name, rc.uid, rc.next_up_plan"
            " FROM checkins_checkin c "
            + person("a", "c.author_id")
            + " "
            + person("d", "c.deleted_by_id")
            + " "
            + person("r", "c.blocker_resolved_by_id")
            + " LEFT JOIN checkins_checkin rc ON rc.id = c.reflects_on_id"
            " WHERE c.organization_id = %(org)s AND c.key_result_id = %(kr)s"
            " ORDER BY c.at DESC, c.id DESC",
            **params,
        ),
        ctx.statement(
            'SELECT r.id, r.check_in_id, r.at, r."before", eu.name'
            " FROM checkins_checkinrevision r "
            + person("e", "r.editor_id")
            + " WHERE r.check_in_id IN (SELECT rv.id FROM checkins_checkin rv"
            " WHERE rv.key_result_id = %(kr)s) ORDER BY r.at, r.id",
            **params,
        ),
        ctx.statement(
            "SELECT i.id, i.uid, i.title, i.state, i.due, t.uid, t.name, ou.name"
            " FROM okrs_initiative i JOIN orgs_team t ON t.id = i.team_id "
            + person("o", "i.owner_id")
            + " WHERE i.organization_id = %(org)s AND i.key_result_id = %(kr)s"
            " ORDER BY i.created_at, i.id",
            **params,
        ),
    ]
    if kr.unaccepted_dependencies:
        out.append(
            ctx.statement(
                "SELECT d.id, d.uid, d.need, d.state, d.due, pt.uid, pt.name"
                " FROM alignment_dependency d JOIN orgs_team pt ON pt.id = d.providing_team_id"
                " WHERE d.organization_id = %(org)s AND d.key_result_id = %(kr)s"
                " AND d.state IN (%(proposed)s, %(declined)s, %(deferred)s)"
                " ORDER BY d.created_at, d.id",
                proposed="proposed",
                declined="declined",
                deferred="deferred",
                **params,
            )
        )
    out += [
        ctx.statement(
            "SELECT a.uid, o.uid, o.title, p.name, ou.name FROM okrs_alignment a"
            " JOIN okrs_objective o ON o.id = a.child_id JOIN orgs_period p ON p.id = o.period_id "
            + person("o", "o.owner_person_id")
            + " WHERE a.organization_id = %(org)s AND a.parent_key_result_id = %(kr)s"
            f" AND {ctx.objective_visible('o')} ORDER BY a.created_at",
            **params,
        ),
        ctx.history("key_result", kr.uid),
    ]
    return out
