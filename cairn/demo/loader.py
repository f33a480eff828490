"""The demo organization "Acme": the alignment text's own example, loaded through the services.

Everything is created by the same service functions the web UI calls, so the demo has real
history: objectives and key results here, their check-ins in `story.py`, the alignment story
(more objectives, dependencies in every state, the shared OKR's sync) in `alignment.py` and
`dependencies.py`, and the two closed quarters before the current one (results,
retrospectives, closing, carry-over, a calibration story) in `closed.py`. The content is
fixed; only the dates follow today's, so that the demo always opens on a current quarter with
weeks of check-ins behind it. Loading the same `today` twice gives the same demo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction

from cairn.alignment.models import Dependency
from cairn.checkins.models import Sync
from cairn.demo import alignment, closed, story
from cairn.lib import dates
from cairn.okrs import services as okrs
from cairn.okrs.models import InitiativeState, KeyResult, KeyResultKind, Objective, Visibility
from cairn.orgs import services as orgs
from cairn.orgs.models import Member, Organization, Period, PeriodState, Role, Team, User

ORG_NAME = "Acme"
ORG_SLUG = "acme"
DEMO_PASSWORD = "acme-demo-2026"  # published: printed by `make run`
SHARED_OBJECTIVE = "Launch the Acme product successfully"
DOMAIN = "acme.example"

# (key, name, role, job title)
PEOPLE: tuple[tuple[str, str, str, str], ...] = (
    ("ada", "Ada Lovelace", Role.ADMIN, "Chief executive"),
    ("noah", "Noah Kim", Role.ADMIN, "Head of operations"),
    ("priya", "Priya Patel", Role.MEMBER, "Head of product"),
    ("mia", "Mia Chen", Role.MEMBER, "Product manager"),
    ("hana", "Hana Sato", Role.MEMBER, "Product designer"),
    ("gus", "Gus Moreno", Role.MEMBER, "Growth lead"),
    ("linus", "Linus Berg", Role.MEMBER, "VP engineering"),
    ("omar", "Omar Haddad", Role.MEMBER, "Platform lead"),
    ("sofia", "Sofia Rossi", Role.MEMBER, "Platform engineer"),
    ("ken", "Ken Adams", Role.MEMBER, "Quality lead"),
    ("lea", "Lea Novak", Role.MEMBER, "Test engineer"),
    ("bea", "Bea Okafor", Role.MEMBER, "Head of business development"),
    ("raj", "Raj Iyer", Role.MEMBER, "Partnerships lead"),
    ("tom", "Tom Weber", Role.MEMBER, "Partner manager"),
    ("vera", "Vera Lind", Role.VIEWER, "Board observer"),
)

# (name, parent, lead, members besides the lead, description)
TEAMS: tuple[tuple[str, str | None, str, tuple[str, ...], str], ...] = (
    ("Acme", None, "ada", ("noah",), "The whole company."),
    ("Product", "Acme", "priya", ("mia", "hana"), "What we build and why."),
    ("Growth", "Product", "gus", ("hana",), "Activation, conversion and retention."),
    ("Engineering", "Acme", "linus", (), "Everyone who builds and runs Acme."),
    ("Platform", "Engineering", "omar", ("sofia",), "Infrastructure, reliability, scale."),
    ("Quality", "Engineering", "ken", ("lea",), "Testing, triage and release quality."),
    ("Business Development", "Acme", "bea", ("raj", "tom"), "Partners and content deals."),
    ("Partnerships", "Business Development", "raj", ("tom",), "Content partner pipeline."),
)

# The three logins printed after loading: an admin, a member of Product and the viewer.
LOGINS: tuple[tuple[str, str], ...] = (("admin", "ada"), ("member", "mia"), ("viewer", "vera"))


def email_of(key: str) -> str:
    return f"{key}@{DOMAIN}"


@dataclass
class Demo:
    organization: Organization
    people: dict[str, Member] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    # The two closed quarters before the current one (`closed.py`).
    earlier: Period | None = None
    previous: Period | None = None
    current: Period | None = None
    # The quarter after the current one, in planning: where deferred work goes.
    upcoming: Period | None = None
    shared_objective: Objective | None = None
    # The current quarter's objectives the alignment story refers to, by a short key.
    objectives: dict[str, Objective] = field(default_factory=dict)
    dependencies: dict[str, Dependency] = field(default_factory=dict)
    sync: Sync | None = None


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, e-mail, password) for the printed demo logins."""
    return [(role, email_of(key), DEMO_PASSWORD) for role, key in LOGINS]


def format_logins() -> str:
    lines = [f"Demo organization {ORG_NAME!r} — sign in with:"]
    for role, email, password in demo_logins():
        lines.append(f"  {role:<7} {email:<22} password: {password}")
    return "\n".join(lines)


def demo_exists() -> bool:
    return Organization.objects.filter(slug=ORG_SLUG).exists()


def database_is_empty() -> bool:
    """No organization and no user: the only state the demo may be loaded into unasked."""
    return not Organization.objects.exists() and not User.objects.exists()


@transaction.atomic
def load_demo(*, today: dt.date | None = None) -> Demo:
    """Create the Acme organization. `today` fixes the quarters (tests pass a date)."""
    today = today or dt.date.today()
    organization, ada = orgs.create_organization(
        name=ORG_NAME, slug=ORG_SLUG, admin_email=email_of("ada"), admin_name="Ada Lovelace"
    )
    demo = Demo(organization=organization, people={"ada": ada})
    orgs.change_member(member=ada, actor=ada, title="Chief executive")
    _people(demo, ada)
    _teams(demo, ada)
    _periods(demo, ada, today)
    # The closed quarters are written and closed first, then the current quarter starts
    # with what they carried over.
    previous = closed.build(demo, today)
    closed.carry_over(demo, previous, today)
    _current_quarter(demo)
    closed.align_continuations(demo)
    alignment.build(demo)
    assert demo.current is not None
    told = story.tell(
        organization=organization,
        people=demo.people,
        key_results={
            kr.title: kr for kr in KeyResult.objects.filter(objective__period=demo.current)
        },
        today=today,
    )
    alignment.tell(demo, told, today)
    closed.tell_current(demo, told)
    # One hash for every demo person: hashing fifteen times would make loading slow for no gain.
    User.objects.filter(memberships__organization=organization).update(
        password=make_password(DEMO_PASSWORD)
    )
    return demo


def _people(demo: Demo, ada: Member) -> None:
    for key, name, role, title in PEOPLE:
        if key == "ada":
            continue
        demo.people[key] = orgs.add_member(
            organization=demo.organization,
            email=email_of(key),
            role=role,
            name=name,
            title=title,
            actor=ada,
        )


def _teams(demo: Demo, ada: Member) -> None:
    for name, parent, lead, members, description in TEAMS:
        team = orgs.create_team(
            organization=demo.organization,
            actor=ada,
            name=name,
            description=description,
            parent=demo.teams[parent] if parent else None,
            lead=demo.people[lead],
        )
        for key in members:
            orgs.add_team_member(team=team, member=demo.people[key], actor=ada)
        demo.teams[name] = team


def _periods(demo: Demo, ada: Member, today: dt.date) -> None:
    year, quarter = dates.quarter_of(today)
    previous = dates.previous_quarter(year, quarter)
    earlier = dates.previous_quarter(*previous)
    following = dates.next_quarter(year, quarter)
    prev_start, prev_end = dates.quarter_bounds(*previous)
    start, end = dates.quarter_bounds(year, quarter)
    # Both closed quarters start active: their story is written before they close.
    earlier_start, earlier_end = dates.quarter_bounds(*earlier)
    demo.earlier = orgs.create_period(
        organization=demo.organization,
        actor=ada,
        name=dates.quarter_name(*earlier),
        start=earlier_start,
        end=earlier_end,
        state=PeriodState.ACTIVE,
    )
    demo.previous = orgs.create_period(
        organization=demo.organization,
        actor=ada,
        name=dates.quarter_name(*previous),
        start=prev_start,
        end=prev_end,
        state=PeriodState.ACTIVE,
    )
    demo.current = orgs.create_period(
        organization=demo.organization,
        actor=ada,
        name=dates.quarter_name(year, quarter),
        start=start,
        end=end,
        state=PeriodState.ACTIVE,
    )
    next_start, next_end = dates.quarter_bounds(*following)
    demo.upcoming = orgs.create_period(
        organization=demo.organization,
        actor=ada,
        name=dates.quarter_name(*following),
        start=next_start,
        end=next_end,
        state=PeriodState.PLANNING,
    )


def _kr(
    demo: Demo,
    objective: Objective,
    *,
    actor: str,
    owner: str,
    title: str,
    start: float,
    target: float,
    unit: str = "",
    kind: str = KeyResultKind.METRIC,
    visibility: str = Visibility.PUBLIC,
) -> KeyResult:
    # Key results take their value from their check-ins (story.py, closed.py).
    return okrs.create_key_result(
        actor=demo.people[actor],
        objective=objective,
        title=title,
        kind=kind,
        start_value=start,
        target_value=target,
        unit=unit,
        owner=demo.people[owner],
        visibility=visibility,
    )


def _initiative(
    demo: Demo,
    objective: Objective,
    *,
    team: str,
    owner: str,
    title: str,
    state: str,
    key_result: KeyResult | None = None,
) -> None:
    okrs.create_initiative(
        actor=demo.people[owner],
        objective=objective,
        team=demo.teams[team],
        owner=demo.people[owner],
        title=title,
        key_result=key_result,
        state=state,
    )


def _current_quarter(demo: Demo) -> None:
    assert demo.current is not None
    period = demo.current
    ada = demo.people["ada"]

    company = okrs.create_objective(
        actor=ada,
        period=period,
        title="Grow Acme into a product people pay for and recommend",
        description="The company objective every team's OKRs ladder up to.",
        owner_teams=[demo.teams["Acme"]],
    )
    _kr(
        demo,
        company,
        actor="ada",
        owner="ada",
        title="Annual recurring revenue",
        start=4.0,
        target=6.0,
        unit="M$",
    )
    _kr(
        demo,
        company,
        actor="ada",
        owner="noah",
        title="Customer retention",
        kind=KeyResultKind.PERCENTAGE,
        start=85,
        target=92,
    )
    # A private key result inside a public objective: only its owner, the company team
    # and admins see it.
    _kr(
        demo,
        company,
        actor="ada",
        owner="ada",
        title="Keep monthly burn under $450k",
        start=520,
        target=450,
        unit="k$",
        visibility=Visibility.PRIVATE,
    )

    # The shared OKR of the alignment text: one objective, three owning teams.
    shared = okrs.create_objective(
        actor=ada,
        period=period,
        title=SHARED_OBJECTIVE,
        description=(
            "One definition of success for Product, Platform and Business Development: "
            "each team brings its own initiatives, and we check in together every week."
        ),
        owner_teams=[
            demo.teams["Product"],
            demo.teams["Platform"],
            demo.teams["Business Development"],
        ],
    )
    demo.shared_objective = shared
    demo.objectives.update(company=company, shared=shared)
    okrs.align(actor=ada, child=shared, parent_objective=company)
    dau = _kr(
        demo,
        shared,
        actor="ada",
        owner="priya",
        title="Reach 500,000 daily active users on the free tier",
        start=0,
        target=500_000,
        unit="DAU",
    )
    conversion = _kr(
        demo,
        shared,
        actor="ada",
        owner="gus",
        title="Convert 5% of free users to paid plans",
        kind=KeyResultKind.PERCENTAGE,
        start=0,
        target=5,
    )
    nps = _kr(
        demo,
        shared,
        actor="ada",
        owner="hana",
        title="Reach a Net Promoter Score of 35",
        start=10,
        target=35,
        unit="NPS",
    )
    bugs = _kr(
        demo,
        shared,
        actor="ada",
        owner="ken",
        title="Fewer than 5 critical or blocking bugs reported",
        start=12,
        target=4,
        unit="bugs",
    )
    partners = _kr(
        demo,
        shared,
        actor="ada",
        owner="raj",
        title="At least 40% revenue share with 5 target content partners",
        start=0,
        target=5,
        unit="partners",
    )

    # Every owning team has its own initiatives on the shared OKR.
    for team, owner, title, state, key_result in (
        ("Product", "mia", "Redesign the onboarding flow", InitiativeState.IN_PROGRESS, dau),
        ("Product", "hana", "In-app NPS survey with follow-up calls", InitiativeState.DONE, nps),
        ("Product", "gus", "Pricing page experiment", InitiativeState.PLANNED, conversion),
        ("Platform", "omar", "Autoscaling for launch traffic", InitiativeState.IN_PROGRESS, dau),
        ("Platform", "sofia", "Crash triage rota", InitiativeState.IN_PROGRESS, bugs),
        ("Platform", "omar", "Load test at twice the expected peak", InitiativeState.PLANNED, dau),
        (
            "Business Development",
            "bea",
            "Revenue-share terms and pitch deck",
            InitiativeState.DONE,
            partners,
        ),
        (
            "Business Development",
            "raj",
            "Shortlist and contact 12 content partners",
            InitiativeState.IN_PROGRESS,
            partners,
        ),
    ):
        _initiative(
            demo, shared, team=team, owner=owner, title=title, state=state, key_result=key_result
        )

    # Team OKRs aligned upwards to the shared key results.
    quality = okrs.create_objective(
        actor=demo.people["ken"],
        period=period,
        title="Ship a launch we are proud of",
        owner_teams=[demo.teams["Quality"]],
    )
    okrs.align(actor=demo.people["ken"], child=quality, parent_key_result=bugs)
    _kr(
        demo,
        quality,
        actor="ken",
        owner="lea",
        title="Automated test coverage of checkout",
        kind=KeyResultKind.PERCENTAGE,
        start=40,
        target=80,
    )
    _kr(
        demo,
        quality,
        actor="ken",
        owner="ken",
        title="Bug triage within one working day",
        kind=KeyResultKind.MILESTONE,
        start=0,
        target=1,
    )
    _initiative(
        demo,
        quality,
        team="Quality",
        owner="lea",
        title="Checkout end-to-end tests",
        state=InitiativeState.IN_PROGRESS,
    )

    # Growth's objective continues last quarter's (closed.carry_over): the activation rate
    # starts where it ended, with the unfinished welcome e-mails and the deferred checklist.
    growth = demo.objectives["growth"]
    okrs.align(actor=demo.people["gus"], child=growth, parent_key_result=conversion)

    pipeline = okrs.create_objective(
        actor=demo.people["raj"],
        period=period,
        title="Build a content partner pipeline",
        owner_teams=[demo.teams["Partnerships"]],
    )
    demo.objectives.update(quality=quality, growth=growth, pipeline=pipeline)
    okrs.align(actor=demo.people["raj"], child=pipeline, parent_key_result=partners)
    _kr(
        demo,
        pipeline,
        actor="raj",
        owner="tom",
        title="Qualified partner conversations",
        start=0,
        target=20,
        unit="conversations",
    )

    # Individual OKRs.
    mia = demo.people["mia"]
    interviews = okrs.create_objective(
        actor=mia,
        period=period,
        title="Know our customers' problems first-hand",
        owner_person=mia,
    )
    okrs.align(actor=mia, child=interviews, parent_key_result=nps)
    _kr(
        demo,
        interviews,
        actor="mia",
        owner="mia",
        title="Customer interviews held",
        start=0,
        target=10,
        unit="interviews",
    )
    _kr(
        demo,
        interviews,
        actor="mia",
        owner="mia",
        title="Publish a monthly insights digest",
        kind=KeyResultKind.MILESTONE,
        start=0,
        target=1,
    )
    omar = demo.people["omar"]
    bench = okrs.create_objective(
        actor=omar, period=period, title="Grow the platform on-call bench", owner_person=omar
    )
    _kr(
        demo,
        bench,
        actor="omar",
        owner="omar",
        title="Engineers trained for on-call",
        start=3,
        target=8,
        unit="engineers",
    )

    # A private objective: only Ada and the admins see it.
    fundraise = okrs.create_objective(
        actor=ada,
        period=period,
        title="Prepare the Series B fundraise",
        owner_person=ada,
        visibility=Visibility.PRIVATE,
    )
    _kr(
        demo,
        fundraise,
        actor="ada",
        owner="ada",
        title="Investor meetings held",
        start=0,
        target=15,
        unit="meetings",
    )
