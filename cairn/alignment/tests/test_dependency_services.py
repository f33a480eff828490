"""Dependencies, through their services: who may ask, the state machine, and what each answer
does (shared OKR, deferral, the over-optimistic flag), each move in the thread and history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cairn.alignment import services
from cairn.alignment.models import Dependency, DependencyEvent, DependencyState
from cairn.conftest import PASSWORD, World
from cairn.okrs import queries as okr_queries
from cairn.okrs import services as okr_services
from cairn.okrs.models import Initiative, InitiativeState, KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import HistoryEvent, Member, Period, Role

pytestmark = pytest.mark.django_db
S = DependencyState


@pytest.fixture
def provider(world: World) -> Member:
    """A member of Platform, the team asked for help."""
    return org_services.add_member(
        organization=world.org,
        email="pia@acme.test",
        role=Role.MEMBER,
        name="Pia Platform",
        password=PASSWORD,
        actor=world.admin,
        team=world.other_team,
    )


@pytest.fixture
def next_period(world: World) -> Period:
    return org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027 Q1",
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 3, 31),
    )


@pytest.fixture
def platform_initiative(world: World, provider: Member) -> Initiative:
    platform_objective = okr_services.create_objective(
        actor=provider,
        period=world.period,
        title="A platform others can build on",
        owner_teams=[world.other_team],
    )
    return okr_services.create_initiative(
        actor=provider,
        objective=platform_objective,
        team=world.other_team,
        title="Public sign-up API",
    )


def ask(
    world: World,
    objective: Objective,
    key_result: KeyResult | None = None,
    initiative: Initiative | None = None,
) -> Dependency:
    return services.request_dependency(
        actor=world.member,
        objective=objective,
        requesting_team=world.team,
        providing_team=world.other_team,
        need="A sign-up API that takes 10,000 requests a minute",
        key_result=key_result,
        due=dt.date(2026, 11, 15),
        initiative=initiative,
    )


@pytest.fixture
def dependency(world: World, objective: Objective, key_result: KeyResult) -> Dependency:
    return ask(world, objective, key_result)


def move(actor: Member, dependency: Dependency, to_state: str, comment: str = "Because.") -> None:
    services.change_dependency_state(
        actor=actor, dependency=dependency, to_state=to_state, comment=comment
    )


def over_optimistic(key_result: KeyResult) -> bool:
    key_result.refresh_from_db()
    return key_result.is_over_optimistic


# Asking -------------------------------------------------------------------------------------


def test_a_new_request_is_proposed_and_flags_its_key_result_over_optimistic(
    dependency: Dependency, key_result: KeyResult
) -> None:
    assert dependency.state == S.PROPOSED
    assert dependency.answered_at is None
    assert over_optimistic(key_result)


def test_a_request_for_the_whole_objective_flags_no_key_result(
    world: World, objective: Objective, key_result: KeyResult
) -> None:
    ask(world, objective)
    assert not over_optimistic(key_result)


def test_only_someone_who_may_change_the_objective_asks_on_its_behalf(
    world: World, objective: Objective, provider: Member
) -> None:
    with pytest.raises(PermissionDenied):
        services.request_dependency(
            actor=provider,
            objective=objective,
            requesting_team=world.team,
            providing_team=world.other_team,
            need="Anything",
        )
    assert not Dependency.objects.exists()


def test_the_asking_team_must_own_the_objective(world: World, objective: Objective) -> None:
    third = org_services.create_team(organization=world.org, actor=world.admin, name="Sales")
    with pytest.raises(ValidationError) as error:
        services.request_dependency(
            actor=world.admin,
            objective=objective,
            requesting_team=third,
            providing_team=world.other_team,
            need="Anything",
        )
    assert "requesting_team" in error.value.error_dict


def test_a_team_cannot_ask_a_team_that_already_owns_the_objective(
    world: World, objective: Objective
) -> None:
    with pytest.raises(ValidationError) as error:
        services.request_dependency(
            actor=world.member,
            objective=objective,
            requesting_team=world.team,
            providing_team=world.team,
            need="Anything",
        )
    assert "providing_team" in error.value.error_dict


def test_a_request_needs_to_say_what_is_needed(world: World, objective: Objective) -> None:
    with pytest.raises(ValidationError) as error:
        services.request_dependency(
            actor=world.member,
            objective=objective,
            requesting_team=world.team,
            providing_team=world.other_team,
            need="   ",
        )
    assert "need" in error.value.error_dict


def test_the_linked_initiative_must_be_the_providing_teams(
    world: World, objective: Objective
) -> None:
    own = okr_services.create_initiative(
        actor=world.member, objective=objective, team=world.team, title="Our own work"
    )
    with pytest.raises(ValidationError) as error:
        ask(world, objective, initiative=own)
    assert "initiative" in error.value.error_dict


def test_another_organizations_team_cannot_be_asked(world: World, objective: Objective) -> None:
    foreign = org_services.create_team(
        organization=world.other_org, actor=world.outsider, name="Globex Ops"
    )
    with pytest.raises(ValidationError):
        services.request_dependency(
            actor=world.member,
            objective=objective,
            requesting_team=world.team,
            providing_team=foreign,
            need="Anything",
        )
    assert not Dependency.objects.exists()


def test_a_request_from_a_private_key_result_is_refused_unless_the_providing_team_may_see_it(
    world: World, objective: Objective, provider: Member
) -> None:
    secret = okr_services.create_key_result(
        actor=world.member,
        objective=objective,
        title="Secret target",
        target_value=10,
        visibility="private",
    )
    with pytest.raises(ValidationError) as error:
        ask(world, objective, secret)
    assert "providing_team" in error.value.error_dict

    okr_services.update_key_result(key_result=secret, actor=world.member, shared_with=[provider])
    created = ask(world, objective, secret)
    assert created.key_result == secret


# Answering ----------------------------------------------------------------------------------


def test_only_the_providing_team_accepts_a_request(
    world: World, dependency: Dependency, provider: Member, key_result: KeyResult
) -> None:
    with pytest.raises(PermissionDenied, match="Platform"):
        move(world.member, dependency, S.ACCEPTED)
    dependency.refresh_from_db()
    assert dependency.state == S.PROPOSED

    move(provider, dependency, S.ACCEPTED, "We will ship it by mid-November.")
    dependency.refresh_from_db()
    assert dependency.state == S.ACCEPTED
    assert dependency.answered_at is not None
    assert not over_optimistic(key_result)


def test_only_the_providing_team_declines_a_request(
    world: World, dependency: Dependency, provider: Member, key_result: KeyResult
) -> None:
    with pytest.raises(PermissionDenied):
        move(world.member, dependency, S.DECLINED)
    move(provider, dependency, S.DECLINED, "Not this quarter.")
    dependency.refresh_from_db()
    assert dependency.state == S.DECLINED
    assert over_optimistic(key_result)


def test_the_providing_teams_lead_answers_too(world: World, dependency: Dependency) -> None:
    lead = org_services.add_member(
        organization=world.org,
        email="lee@acme.test",
        role=Role.MEMBER,
        name="Lee Lead",
        password=PASSWORD,
        actor=world.admin,
    )
    world.other_team.lead = lead
    world.other_team.save(update_fields=["lead"])
    move(lead, dependency, S.ACCEPTED)
    dependency.refresh_from_db()
    assert dependency.state == S.ACCEPTED


def test_an_admin_answers_for_any_team(world: World, dependency: Dependency) -> None:
    move(world.admin, dependency, S.ACCEPTED)
    dependency.refresh_from_db()
    assert dependency.state == S.ACCEPTED


def test_a_viewer_makes_no_move_and_writes_no_comment(world: World, dependency: Dependency) -> None:
    with pytest.raises(PermissionDenied):
        move(world.viewer, dependency, S.ACCEPTED)
    with pytest.raises(PermissionDenied):
        services.comment_on_dependency(actor=world.viewer, dependency=dependency, comment="Hi")
    assert services.moves_for(world.viewer, dependency) == []
    assert not DependencyEvent.objects.exists()


def test_made_shared_adds_the_providing_team_as_an_owner(
    world: World,
    dependency: Dependency,
    provider: Member,
    objective: Objective,
    key_result: KeyResult,
) -> None:
    move(provider, dependency, S.MADE_SHARED, "This is our goal too.")
    dependency.refresh_from_db()
    assert dependency.state == S.MADE_SHARED
    assert set(objective.owner_teams.all()) == {world.team, world.other_team}
    assert not over_optimistic(key_result)
    owners_change = HistoryEvent.objects.get(
        target_uid=objective.uid,
        action=HistoryEvent.Action.UPDATED,
        changes__has_key="owner_teams",
    )
    assert owners_change.changes["owner_teams"] == [["Product"], ["Platform", "Product"]]


def test_made_shared_is_refused_for_a_personal_objective(world: World, provider: Member) -> None:
    personal = okr_services.create_objective(
        actor=world.member, period=world.period, title="My own goal", owner_person=world.member
    )
    dependency = ask(world, personal)
    with pytest.raises(ValidationError):
        move(provider, dependency, S.MADE_SHARED)
    dependency.refresh_from_db()
    assert dependency.state == S.PROPOSED


def test_deferred_moves_the_linked_initiative_to_the_following_period(
    world: World,
    objective: Objective,
    key_result: KeyResult,
    provider: Member,
    platform_initiative: Initiative,
    next_period: Period,
) -> None:
    dependency = ask(world, objective, key_result, initiative=platform_initiative)
    move(provider, dependency, S.DEFERRED, "Next quarter, with the new gateway.")
    dependency.refresh_from_db()
    platform_initiative.refresh_from_db()
    assert dependency.state == S.DEFERRED
    assert platform_initiative.period == next_period
    assert platform_initiative.state == InitiativeState.DEFERRED
    assert over_optimistic(key_result)


def test_deferred_with_no_following_period_is_a_clear_error_and_changes_nothing(
    world: World,
    objective: Objective,
    key_result: KeyResult,
    provider: Member,
    platform_initiative: Initiative,
) -> None:
    dependency = ask(world, objective, key_result, initiative=platform_initiative)
    history_before = HistoryEvent.objects.count()
    with pytest.raises(ValidationError, match="no period after 2026 Q4"):
        move(provider, dependency, S.DEFERRED)
    dependency.refresh_from_db()
    platform_initiative.refresh_from_db()
    assert dependency.state == S.PROPOSED and dependency.answered_at is None
    assert platform_initiative.period == world.period
    assert platform_initiative.state == InitiativeState.PLANNED
    assert not DependencyEvent.objects.exists()
    assert HistoryEvent.objects.count() == history_before


def test_deferred_without_an_initiative_still_needs_the_next_period(
    dependency: Dependency, provider: Member, next_period: Period
) -> None:
    move(provider, dependency, S.DEFERRED)
    dependency.refresh_from_db()
    assert dependency.state == S.DEFERRED


# The requesting side ------------------------------------------------------------------------


def test_the_asking_team_withdraws_its_request(
    world: World, dependency: Dependency, provider: Member, key_result: KeyResult
) -> None:
    with pytest.raises(PermissionDenied, match="Product"):
        move(provider, dependency, S.WITHDRAWN)
    move(world.member, dependency, S.WITHDRAWN, "We found another way.")
    dependency.refresh_from_db()
    assert dependency.state == S.WITHDRAWN
    assert dependency.answered_at is None  # withdrawing is not the other team's answer
    assert not over_optimistic(key_result)


def test_the_asking_team_asks_again_after_a_decline(
    world: World, dependency: Dependency, provider: Member
) -> None:
    move(provider, dependency, S.DECLINED, "Not like this.")
    with pytest.raises(PermissionDenied):
        move(provider, dependency, S.PROPOSED)
    move(world.member, dependency, S.PROPOSED, "Smaller scope now: 1,000 a minute.")
    dependency.refresh_from_db()
    assert dependency.state == S.PROPOSED


def test_moves_for_offers_each_side_its_own_moves(
    world: World, dependency: Dependency, provider: Member
) -> None:
    assert services.moves_for(provider, dependency) == [
        S.ACCEPTED,
        S.DECLINED,
        S.MADE_SHARED,
        S.DEFERRED,
    ]
    assert services.moves_for(world.member, dependency) == [S.WITHDRAWN]
    assert services.moves_for(world.admin, dependency) == [
        S.ACCEPTED,
        S.DECLINED,
        S.MADE_SHARED,
        S.DEFERRED,
        S.WITHDRAWN,
    ]


# The state machine --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([S.ACCEPTED], S.ACCEPTED),
        ([S.ACCEPTED], S.PROPOSED),
        ([S.WITHDRAWN], S.ACCEPTED),
        ([S.MADE_SHARED], S.DECLINED),
        ([S.DECLINED], S.ACCEPTED),
        ([], S.PROPOSED),
    ],
)
def test_illegal_moves_are_rejected_with_a_message(
    world: World, dependency: Dependency, path: list[str], illegal: str
) -> None:
    for state in path:
        move(world.admin, dependency, state)
    dependency.refresh_from_db()
    before = dependency.state
    with pytest.raises(services.IllegalMove) as error:
        move(world.admin, dependency, illegal)
    assert str(S(illegal).label) in " ".join(error.value.messages)
    dependency.refresh_from_db()
    assert dependency.state == before


def test_an_unknown_state_is_rejected(world: World, dependency: Dependency) -> None:
    with pytest.raises(ValidationError):
        move(world.admin, dependency, "done")


@pytest.mark.parametrize("comment", ["", "   "])
def test_every_move_needs_a_comment(
    world: World, dependency: Dependency, provider: Member, comment: str
) -> None:
    with pytest.raises(ValidationError) as error:
        move(provider, dependency, S.ACCEPTED, comment)
    assert "comment" in error.value.error_dict
    dependency.refresh_from_db()
    assert dependency.state == S.PROPOSED


@pytest.mark.parametrize(
    ("path", "flagged"),
    [
        ([], True),
        ([S.ACCEPTED], False),
        ([S.DECLINED], True),
        ([S.DEFERRED], True),
        ([S.WITHDRAWN], False),
        ([S.MADE_SHARED], False),
        ([S.DECLINED, S.PROPOSED], True),
        ([S.ACCEPTED, S.WITHDRAWN], False),
        ([S.ACCEPTED, S.DECLINED], True),
    ],
)
def test_a_key_result_is_over_optimistic_while_its_dependency_is_not_accepted(
    world: World,
    dependency: Dependency,
    key_result: KeyResult,
    next_period: Period,
    path: list[str],
    flagged: bool,
) -> None:
    for state in path:
        move(world.admin, dependency, state)
    assert over_optimistic(key_result) is flagged


def test_the_flag_counts_every_unaccepted_dependency_of_the_key_result(
    world: World, objective: Objective, key_result: KeyResult, provider: Member
) -> None:
    first = ask(world, objective, key_result)
    second = ask(world, objective, key_result)
    key_result.refresh_from_db()
    assert key_result.unaccepted_dependencies == 2
    move(provider, first, S.ACCEPTED)
    assert over_optimistic(key_result)
    move(provider, second, S.ACCEPTED)
    assert not over_optimistic(key_result)


# Thread and history -------------------------------------------------------------------------


def test_every_move_is_in_the_thread_and_not_in_the_objectives_history(
    world: World, dependency: Dependency, provider: Member, objective: Objective
) -> None:
    move(provider, dependency, S.DECLINED, "Not this quarter.")
    move(world.member, dependency, S.PROPOSED, "Smaller scope?")
    move(provider, dependency, S.ACCEPTED, "Fine, smaller scope works.")
    events = list(dependency.events.order_by("created_at", "id"))
    assert [(e.from_state, e.to_state, e.comment) for e in events] == [
        (S.PROPOSED, S.DECLINED, "Not this quarter."),
        (S.DECLINED, S.PROPOSED, "Smaller scope?"),
        (S.PROPOSED, S.ACCEPTED, "Fine, smaller scope works."),
    ]
    assert [e.author for e in events] == [provider, world.member, provider]
    lines = [
        line.text for line in okr_queries.history_lines(world.member, "objective", objective.uid)
    ]
    # The thread is the request's record; the objective's history is read by everyone who
    # sees the objective, and a request can be less visible than that.
    assert lines and not any("sign-up API" in text or "Platform" in text for text in lines)


def test_a_comment_joins_the_thread(world: World, dependency: Dependency) -> None:
    services.comment_on_dependency(
        actor=world.member, dependency=dependency, comment="  Any news?  "
    )
    event = DependencyEvent.objects.get()
    assert event.comment == "Any news?" and not event.is_state_change
    with pytest.raises(ValidationError):
        services.comment_on_dependency(actor=world.member, dependency=dependency, comment=" ")


def test_the_history_of_a_public_objective_says_nothing_of_a_private_key_results_request(
    world: World, objective: Objective, provider: Member
) -> None:
    secret = okr_services.create_key_result(
        actor=world.member,
        objective=objective,
        title="Secret target",
        target_value=10,
        visibility="private",
        shared_with=[provider],
    )
    services.request_dependency(
        actor=world.member,
        objective=objective,
        requesting_team=world.team,
        providing_team=world.other_team,
        need="PRIVATE-MARKER need",
        key_result=secret,
    )
    dependency = Dependency.objects.get(need="PRIVATE-MARKER need")
    move(provider, dependency, S.DECLINED, "Not now.")
    lines = okr_queries.history_lines(world.viewer, "objective", objective.uid)
    assert lines
    assert not any("PRIVATE-MARKER" in line.text or "Platform" in line.text for line in lines)


def test_a_request_made_private_later_leaves_nothing_in_the_objectives_history(
    world: World, objective: Objective, key_result: KeyResult, provider: Member
) -> None:
    ask(world, objective, key_result)
    okr_services.update_key_result(
        key_result=key_result, actor=world.admin, visibility="private", shared_with=[provider]
    )
    lines = okr_queries.history_lines(world.viewer, "objective", objective.uid)
    assert lines and not any("sign-up API" in line.text for line in lines)


# Editing ------------------------------------------------------------------------------------


def test_the_asking_side_rewords_a_request_and_the_thread_says_so(
    world: World, dependency: Dependency, provider: Member
) -> None:
    services.update_dependency(
        actor=world.member,
        dependency=dependency,
        need="A sign-up API for 1,000 requests a minute",
        due=dt.date(2026, 12, 1),
        initiative=None,
    )
    dependency.refresh_from_db()
    assert dependency.need.startswith("A sign-up API for 1,000")
    assert dependency.due == dt.date(2026, 12, 1)
    assert "what is needed" in DependencyEvent.objects.get().comment
    with pytest.raises(PermissionDenied):
        services.update_dependency(
            actor=provider, dependency=dependency, need="Else", due=None, initiative=None
        )


def test_a_closed_request_can_no_longer_be_changed(world: World, dependency: Dependency) -> None:
    move(world.member, dependency, S.WITHDRAWN)
    dependency.refresh_from_db()
    with pytest.raises(ValidationError, match="closed"):
        services.update_dependency(
            actor=world.member, dependency=dependency, need="Else", due=None, initiative=None
        )


# Review fixes ---------------------------------------------------------------------------------


def test_deferring_a_request_whose_initiative_was_already_deferred_leaves_it_there(
    world: World,
    objective: Objective,
    provider: Member,
    next_period: Period,
    platform_initiative: Initiative,
) -> None:
    okr_services.defer_initiative(initiative=platform_initiative, actor=provider)
    later = org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027 Q2",
        start=dt.date(2027, 4, 1),
        end=dt.date(2027, 6, 30),
    )
    dependency = ask(world, objective, initiative=platform_initiative)
    move(provider, dependency, S.DEFERRED, "Next quarter, as planned.")
    platform_initiative.refresh_from_db()
    assert platform_initiative.period == next_period != later
    assert Dependency.objects.get(pk=dependency.pk).state == S.DEFERRED


def test_made_shared_is_refused_while_a_private_key_result_would_open_to_the_team(
    world: World, objective: Objective, key_result: KeyResult, provider: Member
) -> None:
    okr_services.create_key_result(
        actor=world.member,
        objective=objective,
        title="Hidden target",
        target_value=10,
        visibility="private",
    )
    dependency = ask(world, objective, key_result)
    with pytest.raises(ValidationError, match="private key results"):
        move(provider, dependency, S.MADE_SHARED, "Let us own it together.")
    assert not objective.team_links.filter(team=world.other_team).exists()
    assert Dependency.objects.get(pk=dependency.pk).state == S.PROPOSED


def test_made_shared_settles_the_other_open_requests_to_the_new_owner(
    world: World, objective: Objective, key_result: KeyResult, provider: Member
) -> None:
    second_kr = okr_services.create_key_result(
        actor=world.member, objective=objective, title="Second result", target_value=10
    )
    first = ask(world, objective, key_result)
    second = ask(world, objective, second_kr)
    move(provider, first, S.MADE_SHARED, "We own it with you.")
    second.refresh_from_db()
    second_kr.refresh_from_db()
    assert second.state == S.MADE_SHARED
    assert second.events.get().comment.startswith("Settled")
    assert second_kr.unaccepted_dependencies == 0 and not second_kr.is_over_optimistic


def test_a_team_with_dependency_requests_cannot_be_deleted(
    world: World, dependency: Dependency
) -> None:
    with pytest.raises(ValidationError, match="dependency requests"):
        org_services.delete_team(team=world.other_team, actor=world.admin)
    assert Dependency.objects.filter(pk=dependency.pk).exists()


def test_the_asking_team_can_withdraw_a_deferred_request_and_stop_counting_on_it(
    world: World, objective: Objective, key_result: KeyResult, provider: Member, next_period: Period
) -> None:
    dependency = ask(world, objective, key_result)
    move(provider, dependency, S.DEFERRED, "Next quarter.")
    assert over_optimistic(key_result)
    assert services.moves_for(world.member, Dependency.objects.get(pk=dependency.pk)) == [
        S.WITHDRAWN
    ]
    move(world.member, dependency, S.WITHDRAWN, "We plan without it.")
    assert not over_optimistic(key_result)


def test_made_shared_is_not_offered_for_a_personal_objective(
    world: World, provider: Member
) -> None:
    personal = okr_services.create_objective(
        actor=world.member, period=world.period, title="Mine", owner_person=world.member
    )
    dependency = services.request_dependency(
        actor=world.member,
        objective=personal,
        requesting_team=world.team,
        providing_team=world.other_team,
        need="A review",
    )
    offered = services.moves_for(provider, dependency)
    assert S.ACCEPTED in offered and S.MADE_SHARED not in offered
