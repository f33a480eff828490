"""Nine weeks of check-ins on Acme's current quarter, written through the check-in services.

The history ends on the last check-in day before `today` and reaches eight weeks further
back, whatever the quarter's start: a demo loaded in a quarter's first weeks still tells a
story (its first check-ins fall in the planning weeks before the quarter). Every key result
is checked in by its owner on the organization's check-in weekday. The five shared key
results have a hand-written story; the others follow a seeded random walk towards the value
they end on. Two key results are left to show the rhythm's warnings: "Engineers trained for
on-call" goes stale, "Publish a monthly insights digest" dies.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace
from decimal import Decimal
from zoneinfo import ZoneInfo

from cairn.checkins import services as checkins
from cairn.checkins.models import CheckIn, Outcome
from cairn.lib import rhythm
from cairn.okrs import services as okrs
from cairn.okrs.models import KeyResult
from cairn.orgs.models import Member, Organization

ROUNDS = 9  # weekly check-in days: eight weeks of history
SEED = 3

DONE, PARTLY, NOT_DONE = Outcome.DONE, Outcome.PARTLY, Outcome.NOT_DONE


@dataclass(frozen=True)
class Week:
    """One hand-written check-in. `None` leaves a section out."""

    value: float | None = None
    comment: str = ""
    confidence: int | None = None
    needs: str = ""
    mitigation: str = ""
    plan: str = ""
    outcome: str = ""
    learned: str = ""
    context: tuple[str, str, str] | None = None
    insight: bool = False
    blocker: bool = False
    # (resolver, round, how): the blocker raised here is resolved in a later round.
    resolved: tuple[str, int, str] | None = None
    # The round the Next Up is due on; by default the key result's next check-in.
    due_round: int | None = None


@dataclass
class Story:
    organization: Organization
    people: dict[str, Member]
    days: list[dt.date]
    rng: random.Random
    zone: ZoneInfo
    check_ins: list[CheckIn] = field(default_factory=list)

    def at(self, day: dt.date, hour: int = 15) -> dt.datetime:
        minute = self.rng.randrange(0, 60)
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.zone)


def check_in_days(organization: Organization, today: dt.date) -> list[dt.date]:
    """The last ROUNDS check-in days strictly before today, oldest first."""
    cadence, week_start = organization.checkin_cadence, organization.week_start
    weekday = organization.checkin_weekday
    day = rhythm.check_in_day(cadence=cadence, week_start=week_start, weekday=weekday, today=today)
    if day >= today:
        day -= dt.timedelta(days=rhythm.cadence_days(cadence))
    step = dt.timedelta(days=rhythm.cadence_days(cadence))
    return [day - step * (ROUNDS - 1 - index) for index in range(ROUNDS)]


def write(story: Story, key_result: KeyResult, owner: str, weeks: dict[int, Week]) -> None:
    """Record the weeks of one key result in order; a week's Next Up is due on the next
    check-in day, and reflections are about the Next Up before."""
    author = story.people[owner]
    order = sorted(weeks)
    cadence = dt.timedelta(days=rhythm.cadence_days(story.organization.checkin_cadence))
    for position, index in enumerate(order):
        week = weeks[index]
        day = story.days[index]
        due_round = week.due_round
        if due_round is None and position + 1 < len(order):
            due_round = order[position + 1]
        due = day + cadence * ((due_round or index + 1) - index)
        check_in = checkins.record_check_in(
            key_result=key_result,
            author=author,
            at=story.at(day),
            progress=(
                checkins.Progress(value=Decimal(str(week.value)), comment=week.comment)
                if week.value is not None
                else None
            ),
            confidence=(
                checkins.Confidence(
                    level=week.confidence, needs=week.needs, mitigation=week.mitigation
                )
                if week.confidence is not None
                else None
            ),
            next_up=checkins.NextUp(plan=week.plan, due=due) if week.plan else None,
            reflection=(
                checkins.Reflection(outcome=week.outcome, learned=week.learned)
                if week.outcome
                else None
            ),
            context=checkins.Context(*week.context) if week.context else None,
            insight=week.insight,
            blocker=week.blocker,
        )
        story.check_ins.append(check_in)
        if week.resolved:
            resolver, round_, how = week.resolved
            checkins.resolve_blocker(
                check_in=check_in,
                actor=story.people[resolver],
                how=how,
                at=story.at(story.days[round_], hour=11),
            )


# The shared OKR, hand-written -------------------------------------------------------------

DAU = {
    0: Week(
        40_000,
        "Baseline from the beta: 40k daily actives, mostly invited users.",
        6,
        "Launch traffic we have never served; onboarding loses half of new sign-ups.",
        "Platform load-tests before launch; Product redesigns onboarding first.",
        "Agree the launch plan with Platform and Marketing: dates, traffic estimate, owners.",
        context=(
            "Daily actives on the free tier are the first proof that people want Acme.",
            "40,000 daily actives at the end of the beta.",
            "Launch in week 3, then grow through onboarding and partner content, not ads.",
        ),
    ),
    1: Week(
        58_000,
        "Launch week: sign-ups came in faster than planned, retention held.",
        6,
        "Day-7 retention is still unknown.",
        "Watch the first cohort daily.",
        "Ship the new onboarding to 50% of sign-ups, measure day-1 activation.",
        DONE,
        "The launch plan held; Marketing wants a weekly traffic forecast from us.",
    ),
    2: Week(
        77_000,
        "Onboarding experiment lifts day-1 activation from 41% to 52%.",
        7,
        plan="Roll the new onboarding out to everyone; start the referral prompt design.",
        outcome=DONE,
        learned="Fewer steps beat better explanations: every screen we removed helped.",
        insight=True,
    ),
    3: Week(
        96_000,
        "Steady growth, a third from referrals.",
        7,
        plan="Referral prompt after the first saved project; A/B test its wording.",
        outcome=PARTLY,
        learned="Rolled out to everyone, but the referral design slipped to next week.",
    ),
    4: Week(
        90_000,
        "Down 6k: the 3-hour outage on Tuesday cost us a day of new users.",
        5,
        "Reliability: another outage at this scale would cost a week of growth.",
        "Platform's autoscaling initiative moves up; we pause campaigns until it ships.",
        "Win back the users who bounced during the outage with an apology e-mail.",
        NOT_DONE,
        "The referral prompt waited behind the outage work.",
    ),
    5: Week(
        120_000,
        "The apology e-mail brought back 60% of them; referral prompt is live.",
        4,
        "At this pace we reach about 300k, not 500k.",
        "Partner content as a second channel: Business Development has two partners live.",
        "Plan the partner content launch with Raj: which pages, which week.",
        DONE,
        "Referral traffic from partner content retains twice as well as ads.",
        insight=True,
    ),
    6: Week(
        150_000,
        "Partner pages bring 4k new actives a day.",
        5,
        "We cannot run the big campaign until autoscaling is ready.",
        "Daily check with Platform on the autoscaling rollout.",
        "Prepare the campaign so that it can start the day autoscaling ships.",
        DONE,
        "Partner pages convert visitors to actives at 9%, our best channel.",
        blocker=True,
        resolved=("omar", 7, "Autoscaling shipped on Tuesday; load test passed at 2x peak."),
    ),
    7: Week(
        185_000,
        "Campaign started Wednesday; best week since launch.",
        7,
        plan="Second partner wave with Raj; onboarding for partner-referred users.",
        outcome=DONE,
        learned="Having the campaign ready meant we lost no day once the blocker cleared.",
    ),
    8: Week(
        215_000,
        "215k: on the pace line for the first time this quarter.",
        7,
        "The second partner wave depends on two contracts not yet signed.",
        "Priya joins Raj's partner calls this week.",
        "Onboarding variant for partner-referred users; measure their day-7 retention.",
        PARTLY,
        "One partner wave went out; the other waits for legal.",
    ),
}

CONVERSION = {
    0: Week(
        0.8,
        "Beta conversion with the old pricing page.",
        5,
        "We have never tested prices.",
        "One pricing experiment every two weeks.",
        "Write the pricing page experiment: annual vs monthly first.",
        context=(
            "Paid conversion decides whether the free tier pays for itself.",
            "0.8% of free users paid in the beta.",
            "Pricing page experiments, then in-product upgrade prompts.",
        ),
    ),
    1: Week(
        1.0,
        "Launch cohort converts slightly better than the beta.",
        5,
        plan="Launch the annual/monthly experiment to 20% of visitors.",
        outcome=PARTLY,
        learned="The experiment was written but Legal wanted new terms for annual plans.",
    ),
    2: Week(
        1.2,
        "Experiment live since Monday.",
        4,
        "Too few visitors to the pricing page to read the result quickly.",
        "Link the pricing page from the upgrade prompt too.",
        "Read the experiment after 2,000 visitors; prepare the upgrade prompt.",
        DONE,
        "Most upgrades start in the product, not on the pricing page.",
    ),
    3: Week(
        1.4,
        "Small gain, mostly annual plans.",
        4,
        plan="Ship the upgrade prompt at the project limit.",
        outcome=DONE,
        learned="Annual plans convert twice as well as monthly on the pricing page.",
        insight=True,
    ),
    4: Week(
        1.3,
        "Slight drop: outage week, fewer active users hit the project limit.",
        3,
        "We are at a quarter of the target at half-time.",
        "Talk to ten users who hit the limit and did not upgrade.",
        "Ten calls with users who did not upgrade.",
        PARTLY,
        "The prompt shipped late on Friday, so we have no data yet.",
    ),
    5: Week(
        1.6,
        "The prompt works: 3% of users who see it upgrade.",
        3,
        "Users say the paid plan lacks team features.",
        "Product adds shared projects to the paid plan next sprint.",
        "Shared projects in the paid plan; re-run the calls afterwards.",
        DONE,
        "Price is not the objection; missing team features are.",
        insight=True,
    ),
    6: Week(
        1.9,
        "Best week yet, helped by the campaign traffic.",
        4,
        plan="Annual plans in EUR for European teams.",
        outcome=PARTLY,
        learned="Shared projects shipped for the web app only.",
    ),
    7: Week(
        2.0,
        "Flat: European teams wait for EUR pricing.",
        3,
        "Our payment provider does not support annual plans in EUR.",
        "Noah is talking to the provider; fallback: monthly EUR plans with a discount.",
        "Decide on the EUR fallback with Noah by Wednesday.",
        NOT_DONE,
        "We found the provider limit only when we tried.",
        blocker=True,
    ),
    8: Week(
        2.1,
        "2.1%: slow growth while the EUR question is open.",
        3,
        "The 5% target needs both EUR plans and team features on mobile.",
        "Ask Ada whether 3.5% is the honest target for this quarter.",
        "Monthly EUR plans with a discount, live by next Friday.",
        PARTLY,
        "Fallback agreed; the provider has not answered.",
    ),
}

NPS = {
    0: Week(
        12,
        "First survey of beta users (n=180).",
        5,
        plan="In-app survey for launch users, with an invitation to a follow-up call.",
        context=(
            "Whether people recommend Acme decides whether growth continues after launch.",
            "NPS 12 in the beta survey.",
            "Ask every week, call the detractors, fix what they name first.",
        ),
    ),
    1: Week(
        14,
        "Launch users are slightly happier than beta users.",
        6,
        plan="Call five detractors; group their reasons.",
        outcome=DONE,
        learned="The survey gets a 22% response rate in the app, five times e-mail's.",
    ),
    2: Week(
        15,
        "Detractors name the same thing: slow sync on large projects.",
        6,
        plan="Share the sync findings with Platform; agree a fix date.",
        outcome=DONE,
        learned="Four of five detractors named sync; none named price.",
    ),
    3: Week(
        18,
        "Users who finish onboarding in one session score 20 points higher.",
        7,
        plan="Follow-up calls with promoters: what would they tell a friend?",
        outcome=DONE,
        learned="Platform plans the sync fix for week 6.",
        insight=True,
    ),
    4: Week(
        17,
        "Outage week: one point down, comments mention reliability.",
        7,
        plan="Publish a status page and the outage post-mortem.",
        outcome=PARTLY,
        learned="Three promoter calls instead of five; their words go on the landing page.",
    ),
    5: Week(
        20,
        "Recovered; the post-mortem was well received.",
        8,
        plan="Measure NPS of users on the new sync engine separately.",
        outcome=DONE,
        learned="Saying what went wrong earned more trust than the outage cost.",
    ),
    6: Week(
        22,
        "New sync engine users: NPS 31.",
        7,
        "The sync engine reaches everyone only in week 9.",
        "Roll out to the largest projects first: they complain most.",
        "Sync rollout to the largest projects; survey them a week later.",
        DONE,
    ),
    7: Week(
        23,
        "Small gain; the rollout is at 40%.",
        8,
        plan="Close the loop with the detractors we called: tell them what we fixed.",
        outcome=PARTLY,
        learned="Rollout slower than planned, but no complaints from the first large projects.",
    ),
    8: Week(
        24,
        "24 this week; detractors who heard back from us answer more kindly.",
        8,
        plan="Survey the users on the new sync engine; invite five promoters to a case study.",
        outcome=DONE,
        learned="A personal reply turns a third of detractors into passives.",
    ),
}

BUGS = {
    0: Week(
        12,
        "12 critical or blocking bugs open from the beta.",
        4,
        "No triage rota; bugs wait for whoever notices them.",
        "Sofia sets up a crash triage rota.",
        "Triage all 12, assign owners, start the rota.",
        context=(
            "Launch users forgive missing features, not crashes.",
            "12 critical or blocking bugs at the end of the beta.",
            "A daily triage rota and a release gate: no release with a new critical bug.",
        ),
    ),
    1: Week(
        13,
        "Launch brought 3 new ones while we closed 2.",
        4,
        plan="Release gate in CI: block a release with an open critical bug.",
        outcome=DONE,
        learned="The rota works; fixing is the bottleneck, not finding.",
    ),
    2: Week(
        11,
        "Gate is live; two fixed this week.",
        3,
        "Android 15 crash reports are not symbolicated, so we cannot triage them.",
        "Ask Platform for symbol upload in the release pipeline.",
        "Symbol upload with Omar; triage the Android backlog once readable.",
        DONE,
        "The gate stopped one release; nobody complained.",
        blocker=True,
        resolved=("omar", 4, "Symbol upload added to the release pipeline; reports readable."),
    ),
    3: Week(
        11,
        "No change while Android reports are unreadable.",
        3,
        plan="Pair Lea with Sofia on the Android crash backlog.",
        outcome=NOT_DONE,
        learned="Blocked on symbol upload all week.",
    ),
    4: Week(
        10,
        "Android reports readable: two were the same bug.",
        5,
        plan="Fix the three oldest Android crashes.",
        outcome=DONE,
        learned="Duplicates hide in unreadable reports: real count is lower than it looked.",
        insight=True,
    ),
    5: Week(
        9,
        "One more closed; the oldest needs a design change.",
        6,
        plan="Design review for the sync conflict bug with Platform.",
        outcome=PARTLY,
        learned="Two of three fixed; the third is a design problem, not a code bug.",
    ),
    6: Week(
        8,
        "Down to 8.",
        6,
        plan="Ship the sync conflict fix behind a flag.",
        outcome=DONE,
    ),
    7: Week(
        8,
        "Flat: the fix is behind a flag for 10% of users.",
        7,
        plan="Widen the flag to 50%; watch crash-free sessions.",
        outcome=DONE,
        learned="Flags let us ship risky fixes early without risking the launch.",
    ),
    8: Week(
        7,
        "7 open, 3 to go; no new critical bug for two weeks.",
        6,
        "The last three need the sync engine everywhere.",
        "Ken reviews them with Omar against the sync rollout dates.",
        "Plan the last three fixes against the sync rollout.",
        DONE,
    ),
}

PARTNERS = {
    0: Week(
        0,
        "Twelve partners shortlisted; none signed.",
        6,
        plan="First calls with the five most promising partners.",
        context=(
            "Partner content brings users we cannot buy, and revenue we share.",
            "Two pilots last quarter, no signed revenue-share agreement.",
            "Five target partners at 40% revenue share; standard terms, one pitch deck.",
        ),
    ),
    1: Week(
        0,
        "Four first calls held.",
        6,
        plan="Send the revenue-share terms to the three interested partners.",
        outcome=DONE,
        learned="Partners ask for usage data before they talk about revenue.",
    ),
    2: Week(
        0,
        "Terms sent; one asks for 50%.",
        5,
        "40% is our floor; one partner wants more.",
        "Offer a higher share in the first six months instead.",
        "Negotiate the first-six-months offer.",
        DONE,
    ),
    3: Week(
        1,
        "First partner signed at 40%!",
        5,
        plan="Launch their content pages with Product; ask for two references.",
        outcome=DONE,
        learned="A time-limited higher share closed the gap.",
        insight=True,
    ),
    4: Week(
        1,
        "No new signature; two in legal review.",
        4,
        plan="Chase both legal teams; offer a call with our counsel.",
        outcome=DONE,
    ),
    5: Week(
        1,
        "Still one: legal review of our contract template is stuck on liability.",
        4,
        "Our template's liability clause; Legal is rewriting it.",
        "Noah escalates to our counsel; partners see a draft by Friday.",
        "Get the new liability clause from counsel.",
        PARTLY,
        "Partners' lawyers all stumble on the same clause.",
        blocker=True,
    ),
    6: Week(
        2,
        "Second partner signed with the old clause, as an exception.",
        3,
        plan="Sign the third with the new clause once counsel delivers.",
        outcome=NOT_DONE,
        learned="Counsel has not answered yet; the exception shows the clause matters less.",
    ),
    7: Week(
        2,
        "Flat; the other partners wait for the new clause.",
        4,
        plan="Weekly call with counsel until the clause is done.",
        outcome=NOT_DONE,
    ),
    8: Week(
        2,
        "2 of 5 signed; three in legal.",
        4,
        "Five by quarter end needs the clause within two weeks.",
        "Ada talks to counsel's partner; Tom keeps the partners warm.",
        "Prepare the three contracts so they can go out the day the clause is ready.",
        PARTLY,
    ),
}


# The other key results, generated -----------------------------------------------------

COMMENTS_UP = (
    "Moving as planned.",
    "A good week.",
    "The new approach is paying off.",
    "Steady progress.",
)
COMMENTS_DOWN = (
    "A step back this week.",
    "Lost ground; we know why and are on it.",
)
COMMENTS_FLAT = ("No change this week.", "Flat while we wait on others.")
LEARNED = (
    "Smaller steps are easier to finish in a week.",
    "Asking for help early saved two days.",
    "The plan was too big for one week.",
    "Writing the plan down made it happen.",
)
NEEDS = (
    "Time: other launch work comes first.",
    "Help from another team.",
    "A decision we are waiting for.",
)
MITIGATIONS = (
    "Block two mornings a week for it.",
    "Raise it in the weekly sync.",
    "Ask for the decision by Wednesday.",
)


@dataclass(frozen=True)
class Walk:
    """A generated story: from `start` to `end`, with `plans` for the Next Ups."""

    title: str
    owner: str
    start: float
    end: float
    why: str
    tactic: str
    plans: tuple[str, ...]
    rounds: range = range(ROUNDS)
    confidence: int = 6
    decimals: int = 0
    # The first week opens the quarter (no reflection yet); otherwise it says this.
    opening: str = ""
    # The first Context's baseline; by default the first value "at the start of the quarter".
    baseline: str = ""
    # Leave the last Next Up out: the key result goes still.
    last_without_plan: bool = False
    # The last Next Up is due this many rounds after the last check-in.
    last_due_in: int = 1


WALKS: tuple[Walk, ...] = (
    Walk(
        "Annual recurring revenue",
        "ada",
        4.1,
        4.7,
        "Revenue pays for the next year of Acme.",
        "Annual plans and the first partner revenue.",
        ("Review the pipeline with Bea.", "Quarterly pricing review with Gus and Noah."),
        decimals=2,
    ),
    Walk(
        "Customer retention",
        "noah",
        86,
        88,
        "Keeping customers is cheaper than finding new ones.",
        "Call every account that reduces its seats.",
        ("Call the three accounts that reduced seats.", "Renewal reminders 60 days ahead."),
        decimals=1,
    ),
    Walk(
        "Keep monthly burn under $450k",
        "ada",
        515,
        480,
        "How long the company can run without new money.",
        "Renegotiate the largest contracts; hire only for launch.",
        ("Review the largest contracts with Noah.", "Monthly budget review."),
    ),
    Walk(
        "Automated test coverage of checkout",
        "lea",
        44,
        62,
        "Checkout bugs cost money directly.",
        "End-to-end tests first for payment paths.",
        ("End-to-end tests for card payments.", "Tests for refunds and plan changes."),
        confidence=7,
    ),
    Walk(
        "Activation rate of new sign-ups",
        "gus",
        21,
        27,
        "Activated users are the ones who convert later.",
        "Welcome e-mails and a shorter first session.",
        ("Write the second welcome e-mail.", "Test a checklist in the empty project."),
        # Carried over from last quarter (closed.py): it starts where that one ended.
        baseline="21% at the end of last quarter, carried over with its target of 35%.",
    ),
    Walk(
        "Qualified partner conversations",
        "tom",
        1,
        9,
        "Signed partners come from qualified conversations.",
        "Two new conversations a week from the shortlist.",
        ("Call two partners from the shortlist.", "Send the deck to the warm leads."),
        confidence=5,
        last_without_plan=True,
    ),
    Walk(
        "Customer interviews held",
        "mia",
        0,
        5,
        "First-hand problems beat survey answers.",
        "One or two interviews a week, notes shared on Friday.",
        ("Book two interviews from the NPS follow-ups.", "Interview a churned team."),
    ),
    Walk(
        "Engineers trained for on-call",
        "omar",
        3,
        5,
        "Four people on call cannot carry a launch.",
        "Shadow shifts, then a first solo shift with a buddy.",
        ("Shadow shifts for Sofia and one more engineer.", "Runbook review with the trainees."),
        rounds=range(ROUNDS - 2),
        # A two-week plan, and then silence: stale, but not yet dead.
        last_due_in=2,
    ),
    Walk(
        "Investor meetings held",
        "ada",
        0,
        4,
        "A Series B round next year needs relationships now.",
        "One meeting a week from the shortlist.",
        ("Meet two investors from the shortlist.", "Update the data room."),
        rounds=range(0, ROUNDS, 2),
    ),
)


def walk(story: Story, key_result: KeyResult, spec: Walk) -> None:
    rng = story.rng
    count = len(spec.rounds)
    values: list[float] = []
    for step in range(count):
        share = step / (count - 1) if count > 1 else 1.0
        noise = (spec.end - spec.start) * rng.uniform(-0.12, 0.12) if 0 < step < count - 1 else 0
        values.append(round(spec.start + (spec.end - spec.start) * share + noise, spec.decimals))
    weeks: dict[int, Week] = {}
    confidence = spec.confidence
    for step, index in enumerate(spec.rounds):
        value = values[step]
        before = values[step - 1] if step else None
        moved = 0 if before is None else (value > before) - (value < before)
        towards = moved * (1 if spec.end >= spec.start else -1)
        if step:
            # Around the owner's usual level: up after a good week, down after a setback.
            confidence = max(2, min(9, spec.confidence + towards + rng.choice((-1, 0, 0, 1))))
        if before is None:
            comment = spec.opening or "Where we start this quarter."
        else:
            comment = rng.choice(
                COMMENTS_UP if towards > 0 else COMMENTS_DOWN if towards < 0 else COMMENTS_FLAT
            )
        reflects = before is not None or bool(spec.opening)
        worried = confidence <= 5
        last = step == count - 1
        weeks[index] = Week(
            value,
            comment,
            confidence,
            rng.choice(NEEDS) if worried else "",
            rng.choice(MITIGATIONS) if worried else "",
            "" if last and spec.last_without_plan else spec.plans[step % len(spec.plans)],
            rng.choice((DONE, DONE, PARTLY, NOT_DONE)) if reflects else "",
            rng.choice(LEARNED) if reflects else "",
            context=(
                (
                    spec.why,
                    spec.baseline or f"{values[0]:g} at the start of the quarter.",
                    spec.tactic,
                )
                if before is None
                else None
            ),
            due_round=index + spec.last_due_in if last else None,
        )
    write(story, key_result, spec.owner, weeks)


def insights_digest(story: Story, key_result: KeyResult) -> None:
    """The dead one: its Next Up was missed, reflected on, and never replaced."""
    write(
        story,
        key_result,
        "mia",
        {
            0: Week(
                0,
                "Not started.",
                6,
                plan="Draft the first digest from the interview notes.",
                context=(
                    "Everyone should read what customers tell us, not only Product.",
                    "No digest yet.",
                    "One page a month from the interview notes.",
                ),
            ),
            1: Week(
                confidence=5,
                needs="Time: launch work comes first.",
                mitigation="Write it on Friday afternoon.",
                plan="Finish the draft; ask Hana to review it.",
                outcome=PARTLY,
                learned="Half a draft; the interview notes are in three places.",
            ),
            2: Week(
                0,
                "Parked during the launch.",
                3,
                "Nobody has time for it until after the launch.",
                outcome=NOT_DONE,
                learned="A monthly digest needs an owner with time, not good intentions.",
            ),
        },
    )


def interviews_target_change(story: Story, key_result: KeyResult) -> None:
    """A material change halfway: the target is raised, so the context needs rewriting."""
    okrs.update_key_result(key_result=key_result, actor=story.people["mia"], target_value=12)


def tell(
    *,
    organization: Organization,
    people: dict[str, Member],
    key_results: dict[str, KeyResult],
    today: dt.date,
) -> Story:
    """Write the whole check-in history. `key_results` maps titles to the current quarter's
    key results."""
    try:
        zone = ZoneInfo(organization.time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    story = Story(
        organization=organization,
        people=people,
        days=check_in_days(organization, today),
        rng=random.Random(SEED),
        zone=zone,
    )

    def kr(words: str) -> KeyResult:
        (found,) = (key_result for title, key_result in key_results.items() if words in title)
        return found

    write(story, kr("500,000 daily active users"), "priya", DAU)
    write(story, kr("Convert 5%"), "gus", CONVERSION)
    write(story, kr("Net Promoter Score"), "hana", NPS)
    write(story, kr("critical or blocking bugs"), "ken", BUGS)
    write(story, kr("40% revenue share"), "raj", PARTNERS)

    interviews = kr("Customer interviews held")
    for spec in WALKS:
        key_result = kr(spec.title)
        if key_result is interviews:
            first, second = _split(spec)
            walk(story, key_result, first)
            interviews_target_change(story, key_result)
            walk(story, key_result, second)
        else:
            walk(story, key_result, spec)
    insights_digest(story, kr("monthly insights digest"))
    _triage_milestone(story, kr("Bug triage within one working day"))
    return story


def _split(spec: Walk) -> tuple[Walk, Walk]:
    """The interviews story in two halves around the target change; the second half opens
    with a new Context."""
    middle = (spec.start + spec.end) / 2
    half = ROUNDS // 2
    first = replace(spec, end=round(middle), rounds=range(half))
    second = replace(
        spec,
        start=round(middle),
        why="Twelve interviews: the NPS calls showed how much we learn from them.",
        tactic="Two interviews a week, one with a detractor.",
        rounds=range(half, ROUNDS),
        opening="Target raised from 10 to 12 interviews.",
    )
    return first, second


def _triage_milestone(story: Story, key_result: KeyResult) -> None:
    write(
        story,
        key_result,
        "ken",
        {
            0: Week(
                0,
                "Triage takes three days on average.",
                6,
                plan="Set up the triage rota with Sofia.",
                context=(
                    "Bugs reported at launch need an answer the same day.",
                    "Three days to first triage in the beta.",
                    "A daily rota across Quality and Platform.",
                ),
            ),
            2: Week(
                0,
                "Rota running; 80% triaged within a day.",
                7,
                plan="Cover weekends with an on-call triager.",
                outcome=DONE,
                learned="The rota needs a backup person for holidays.",
            ),
            4: Week(
                1,
                "Every bug this fortnight triaged within one working day. Done.",
                9,
                plan="Keep the rota; review it monthly.",
                outcome=DONE,
                learned="A rota with a backup is enough; no tool needed.",
            ),
            8: Week(
                confidence=9,
                plan="Monthly rota review with Lea.",
                outcome=DONE,
                learned="Still within a day, even in the campaign week.",
            ),
        },
    )
