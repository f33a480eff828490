"""Key results and their check-ins for the generator: every section and flag, and the roll-ups
the check-in services keep on the key result, computed from the rows written."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from benchmarks import words
from benchmarks.bulk import Table
from benchmarks.world import ObjectivePlan, PeriodInfo, World, uid
from cairn.checkins.models import Outcome
from cairn.okrs.progress import key_result_score

OUTCOMES = (Outcome.DONE, Outcome.PARTLY, Outcome.NOT_DONE)


def _d(value: float) -> Decimal:
    return Decimal(f"{value:.4f}")


class CheckInMaker:
    def __init__(self, world: World, check_ins: Table, revisions: Table) -> None:
        self.w = world
        self.check_ins = check_ins
        self.revisions = revisions
        self.next_id = check_ins.next_id()
        self.rows: list[list[Any]] = []
        self.revision_rows: list[list[Any]] = []

    def flush(self) -> None:
        """After the key results of the chunk are written (SQLite checks foreign keys)."""
        self.check_ins.write(self.rows)
        self.revisions.write(self.revision_rows)
        self.rows, self.revision_rows = [], []

    def key_result(
        self,
        table: Table,
        plan: ObjectivePlan,
        period: PeriodInfo,
        *,
        kr_id: int,
        position: int,
        owner: int,
        created: dt.datetime,
        n_check_ins: int,
        unaccepted: int,
    ) -> tuple[list[Any], uuid.UUID, str]:
        rng = self.w.rng
        roll = rng.random()
        kind = "metric" if roll < 0.7 else "percentage" if roll < 0.9 else "milestone"
        direction = "up"
        unit = ""
        metric, unit = rng.choice(words.METRICS)
        if kind == "metric":
            if rng.random() < 0.15:
                direction = "down"
                start = float(rng.randint(100, 1000))
                target = start - rng.randint(10, int(start) - 1)
            else:
                start = float(rng.randint(0, 500))
                target = start + rng.randint(10, 1000)
            title = f"{'Reduce' if direction == 'down' else 'Raise'} {metric} to {target:g}"
        elif kind == "percentage":
            start, target, unit = float(rng.randint(0, 55)), float(rng.randint(60, 100)), "%"
            title = f"Reach {target:g}% {metric}"
        else:
            start, target, unit = 0.0, 1.0, ""
            title = f"Ship {words.plan(rng)}"
        kr_uid = uid(rng)
        context = (
            f"It matters because {words.sentence(rng)}.",
            f"Today we are at {start:g}{unit}.",
            f"We will {words.plan(rng)}.",
        )
        roll_up = self._check_ins(
            plan,
            period,
            kr_id=kr_id,
            owner=owner,
            n=n_check_ins,
            kind=kind,
            start=start,
            target=target,
            context=context,
        )
        row = table.row(
            id=kr_id,
            uid=kr_uid,
            organization_id=self.w.org_id,
            objective_id=plan.id,
            title=title[:200],
            description="",
            owner_id=owner,
            kind=kind,
            start_value=_d(start),
            target_value=_d(target),
            current_value=_d(roll_up["current"] if roll_up["current"] is not None else start),
            unit=unit,
            direction=direction,
            weight=Decimal(1),
            position=position,
            context_why=roll_up["context"][0],
            context_baseline=roll_up["context"][1],
            context_tactic=roll_up["context"][2],
            context_outdated=False,
            confidence=roll_up["confidence"],
            last_check_in_at=roll_up["last_at"],
            next_up_due=roll_up["next_up_due"],
            open_blockers=roll_up["open_blockers"],
            unaccepted_dependencies=unaccepted,
            scale_changed_at=None,
            score=roll_up["score"],
            scored_at=roll_up["scored_at"],
            score_reset_at=None,
            continued_from_id=None,
            visibility="private" if rng.random() < 0.03 else "public",
            created_by_id=owner,
            created_at=created,
            updated_at=roll_up["last_at"] or created,
        )
        return row, kr_uid, title

    def _check_ins(
        self,
        plan: ObjectivePlan,
        period: PeriodInfo,
        *,
        kr_id: int,
        owner: int,
        n: int,
        kind: str,
        start: float,
        target: float,
        context: tuple[str, str, str],
    ) -> dict[str, Any]:
        w, rng = self.w, self.w.rng
        table = self.check_ins
        roll_up: dict[str, Any] = {
            "current": None,
            "confidence": None,
            "last_at": None,
            "next_up_due": None,
            "open_blockers": 0,
            "score": None,
            "scored_at": None,
            "context": context,
        }
        if n == 0:
            return roll_up
        span = (period.until - period.begin).total_seconds() - 3600
        step = span / n
        achieved = rng.uniform(0.2, 1.15)
        if not period.closed:
            achieved *= span / max(1.0, (period.end - period.start).days * 86400)
        confidence = rng.randint(4, 9)
        team_people = (
            w.team_members[plan.teams[0]] if plan.teams else [w.member_team[plan.person or 0]]
        )
        previous_id: int | None = None
        previous_had_next_up = False
        for k in range(n):
            at = period.begin + dt.timedelta(seconds=step * k + rng.uniform(0, step * 0.8))
            last = k == n - 1
            ci_id = self.next_id
            self.next_id += 1
            author = owner if rng.random() < 0.8 else w.member_ids[rng.choice(team_people)]
            values: dict[str, Any] = {
                "id": ci_id,
                "uid": uid(rng),
                "organization_id": w.org_id,
                "key_result_id": kr_id,
                "author_id": author,
                "at": at,
            }
            fraction = achieved * (k + 1) / n
            if kind == "milestone":
                value = target if last and achieved >= 0.9 else (start if last else None)
            else:
                value = round(start + (target - start) * fraction * rng.uniform(0.92, 1.05), 1)
            if value is not None and (rng.random() < 0.85 or last):
                values["progress_value"] = _d(value)
                values["progress_comment"] = f"{words.sentence(rng).capitalize()}."
            else:
                value = None
            drift = (achieved - 0.7) * 6 * (k + 1) / n
            conf = max(0, min(10, round(confidence + drift + rng.uniform(-1, 1))))
            if rng.random() < 0.8 or value is None:
                values["confidence"] = conf
                if rng.random() < 0.25:
                    values["confidence_needs"] = f"We need to {words.plan(rng)}."
                if rng.random() < 0.15:
                    values["confidence_mitigation"] = f"We will {words.plan(rng)} first."
            had_next_up = rng.random() < 0.4
            if had_next_up:
                values["next_up_plan"] = f"Next: {words.plan(rng)}."
                values["next_up_due"] = (at + dt.timedelta(days=rng.randint(7, 14))).date()
            if previous_had_next_up and previous_id is not None and rng.random() < 0.6:
                values["reflects_on_id"] = previous_id
                values["reflection_outcome"] = rng.choice(OUTCOMES)
                if rng.random() < 0.5:
                    values["reflection_learned"] = f"{words.sentence(rng).capitalize()}."
            if k == 0 or rng.random() < 0.03:
                values["context_why"], values["context_baseline"], values["context_tactic"] = (
                    context
                )
                roll_up["context"] = context
            if rng.random() < 0.03:
                values["is_insight"] = True
            open_blocker = False
            if rng.random() < 0.02:
                values["is_blocker"] = True
                values.setdefault("confidence_needs", f"Blocked: {words.sentence(rng)}.")
                resolve = rng.random() < (0.9 if period.closed else 0.6)
                resolved_at = at + dt.timedelta(days=rng.randint(1, 10))
                if resolve and resolved_at < w.now:
                    values["blocker_resolved_at"] = resolved_at
                    values["blocker_resolved_by_id"] = owner
                    values["blocker_resolution"] = f"Done: {words.plan(rng)}."
                else:
                    open_blocker = True
            if period.closed and last:
                final = value if value is not None else start
                score = key_result_score(start=start, target=target, final=final)
                values["result_value"] = _d(final)
                if rng.random() < 0.03:
                    values["result_score"] = Decimal(f"{min(1.0, score + 0.2):.2f}")
                    values["result_score_overridden"] = True
                    values["result_override_reason"] = "The target moved mid-quarter."
                else:
                    values["result_score"] = Decimal(f"{score:.2f}")
                values["result_worked"] = f"{words.sentence(rng).capitalize()}."
                values["result_did_not_work"] = f"{words.sentence(rng).capitalize()}."
                values["result_learned"] = f"{words.sentence(rng).capitalize()}."
            deleted = not last and rng.random() < 0.003
            if deleted:
                values["deleted_at"] = at + dt.timedelta(hours=1)
                values["deleted_by_id"] = w.admin_id
            elif rng.random() < 0.01:
                values["edited_at"] = at + dt.timedelta(minutes=10)
                self.revision_rows.append(
                    self.revisions.row(
                        organization_id=w.org_id,
                        check_in_id=ci_id,
                        at=values["edited_at"],
                        editor_id=author,
                        before={"progress_comment": "first draft", "confidence": conf},
                    )
                )
            self.rows.append(table.row(**values))
            previous_id, previous_had_next_up = ci_id, had_next_up
            if deleted:
                continue
            if value is not None:
                roll_up["current"] = value
            if "confidence" in values:
                roll_up["confidence"] = values["confidence"]
            roll_up["last_at"] = at
            if had_next_up:
                roll_up["next_up_due"] = values["next_up_due"]
            roll_up["open_blockers"] += int(open_blocker)
            if "result_score" in values:
                roll_up["score"], roll_up["scored_at"] = values["result_score"], at
        return roll_up
