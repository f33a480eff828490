"""The objective page's alignment chain (up to the top, down to the leaves) with redacted
private nodes, and the cycle rule that keeps the chain a chain."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.conftest import World
from cairn.okrs import queries, services
from cairn.okrs.models import Alignment, KeyResult, Objective
from cairn.okrs.queries import chain as chain_module

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def url(name: str, *args: object) -> str:
    return reverse(f"okrs:{name}", args=["acme", *args])


def mine(world: World, title: str) -> Objective:
    """A public objective of the member's team."""
    return services.create_objective(
        actor=world.admin, period=world.period, title=title, owner_teams=[world.team]
    )


def secret(world: World, title: str) -> Objective:
    """A private objective of Platform, which the member may not see."""
    return services.create_objective(
        actor=world.admin,
        period=world.period,
        title=title,
        owner_teams=[world.other_team],
        visibility="private",
    )


def kr_of(world: World, objective: Objective, title: str, visibility: str = "public") -> KeyResult:
    return services.create_key_result(
        actor=world.admin, objective=objective, title=title, target_value=10, visibility=visibility
    )


def link(world: World, child: Objective, parent: Objective | KeyResult) -> Alignment:
    if isinstance(parent, KeyResult):
        return services.align(actor=world.admin, child=child, parent_key_result=parent)
    return services.align(actor=world.admin, child=child, parent_objective=parent)


def titles(nodes: list[queries.ChainNode]) -> list[object]:
    """The tree as nested [title, [children...]]; a redacted node as None."""
    return [
        [node.objective.title if node.objective else None, titles(node.children)] for node in nodes
    ]


def section(html: str) -> str:
    start = html.index('<section id="alignment"')
    return html[start : html.index("</section>", start)]


# The chain up and down ----------------------------------------------------------------------


def test_the_chain_goes_up_to_the_top_through_objective_and_key_result_parents(
    world: World, objective: Objective
) -> None:
    company = mine(world, "Company")
    company_kr = kr_of(world, company, "Company KR")
    department = mine(world, "Department")
    other_parent = mine(world, "Other parent")
    link(world, department, company_kr)
    link(world, objective, department)
    link(world, objective, other_parent)
    chain = queries.alignment_chain(world.member, objective)
    assert titles(chain.up) == [
        ["Department", [["Company", []]]],
        ["Other parent", []],
    ]
    [department_node, other_node] = chain.up
    assert department_node.link_uid is not None and other_node.link_uid is not None
    [company_node] = department_node.children
    assert company_node.key_result == company_kr
    # Only the page objective's own links can be removed from here.
    assert company_node.link_uid is None
    assert chain.down == []


def test_the_chain_goes_down_to_the_leaves(
    world: World, objective: Objective, key_result: KeyResult
) -> None:
    child = mine(world, "Child")
    grandchild = mine(world, "Grandchild")
    great = mine(world, "Great-grandchild")
    link(world, child, key_result)
    link(world, grandchild, child)
    link(world, great, grandchild)
    chain = queries.alignment_chain(world.member, objective)
    assert titles(chain.down) == [["Child", [["Grandchild", [["Great-grandchild", []]]]]]]
    assert chain.down[0].key_result == key_result
    assert all(node.link_uid is None for node in chain.down)


def test_a_private_node_is_redacted_and_the_walk_goes_on_through_it(
    world: World, member_client: Client, objective: Objective, key_result: KeyResult
) -> None:
    top = mine(world, "Top of the chain")
    hidden_parent = secret(world, "PRIVATE-MARKER parent")
    hidden_kr = kr_of(world, hidden_parent, "PRIVATE-MARKER parent KR")
    link(world, hidden_parent, top)
    link(world, objective, hidden_kr)
    hidden_child = secret(world, "PRIVATE-MARKER child")
    below = mine(world, "Below the secret")
    link(world, hidden_child, key_result)
    link(world, below, hidden_child)

    chain = queries.alignment_chain(world.member, objective)
    assert titles(chain.up) == [[None, [["Top of the chain", []]]]]
    assert titles(chain.down) == [[None, [["Below the secret", []]]]]
    assert chain.up[0].key_result is None and chain.up[0].link_uid is None

    hidden = {str(hidden_parent.uid), str(hidden_kr.uid), str(hidden_child.uid)}
    hidden |= {str(a.uid) for a in Alignment.objects.filter(child__in=[objective, hidden_child])}
    # The page draws one level down; the whole chain is its next click (a page of its own
    # without JavaScript, the section alone over htmx): the same rule for each.
    page = section(member_client.get(url("objective", objective.uid)).content.decode())
    assert "Below the secret" not in page and "1 more below it" in page
    full = url("objective", objective.uid) + "?chain=all"
    for html in (
        section(member_client.get(full).content.decode()),
        member_client.get(full, headers=HTMX).content.decode(),
    ):
        assert "PRIVATE-MARKER" not in html
        assert html.count("Private objective") == 2
        assert "Top of the chain" in html and url("objective", top.uid) in html
        assert "Below the secret" in html and url("objective", below.uid) in html
        # No uid of the hidden objectives, their key result or their links.
        assert hidden.isdisjoint(UUID_RE.findall(html))
    assert hidden.isdisjoint(UUID_RE.findall(page))
    # The admin sees it all, with the real titles.
    admin_chain = queries.alignment_chain(world.admin, objective)
    assert titles(admin_chain.up) == [["PRIVATE-MARKER parent", [["Top of the chain", []]]]]


def test_a_private_key_result_of_a_visible_objective_is_redacted_alone(
    world: World, member_client: Client, objective: Objective
) -> None:
    platform = services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Platform goal",
        owner_teams=[world.other_team],
    )
    hidden_kr = kr_of(world, platform, "PRIVATE-MARKER cost ceiling", visibility="private")
    link(world, objective, hidden_kr)
    html = section(member_client.get(url("objective", objective.uid)).content.decode())
    assert "Platform goal" in html and "Private key result" in html
    assert "PRIVATE-MARKER" not in html and str(hidden_kr.uid) not in html
    # The link into a visible objective stays removable by those who may change the child.
    [node] = queries.alignment_chain(world.member, objective).up
    assert node.key_result_redacted and node.link_uid is not None


def test_a_shared_ancestor_is_drawn_once_and_a_cycle_in_the_data_does_not_loop(
    world: World, objective: Objective
) -> None:
    left, right, top = mine(world, "Left"), mine(world, "Right"), mine(world, "Top")
    link(world, objective, left)
    link(world, objective, right)
    link(world, left, top)
    link(world, right, top)
    # A cycle the service would refuse, written straight into the table.
    Alignment.objects.create(
        organization=world.org, child=top, parent_objective=objective, created_by=world.admin
    )
    chain = queries.alignment_chain(world.admin, objective)
    assert titles(chain.up) == [
        ["Left", [["Top", [["Launch the Acme product successfully", []]]]]],
        ["Right", [["Top", []]]],
    ]
    assert chain.up[1].children[0].repeated
    assert chain.up[0].children[0].children[0].repeated


def test_the_page_shows_the_whole_chain_and_remove_only_on_direct_links(
    world: World, member_client: Client, objective: Objective
) -> None:
    department, company = mine(world, "Department"), mine(world, "Company")
    direct = link(world, objective, department)
    above = link(world, department, company)
    html = section(member_client.get(url("objective", objective.uid)).content.decode())
    assert "Department" in html and "Company" in html
    assert url("alignment_delete", direct.uid) in html
    assert url("alignment_delete", above.uid) not in html


def test_removing_a_direct_link_over_htmx_redraws_the_chain(
    world: World, member_client: Client, objective: Objective
) -> None:
    department, company = mine(world, "Department"), mine(world, "Company")
    direct = link(world, objective, department)
    link(world, department, company)
    response = member_client.post(url("alignment_delete", direct.uid), headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="alignment"')
    assert "Company" not in section(html)
    assert "Not aligned to anything yet." in html


def test_a_viewer_sees_the_chain_without_remove_links(
    world: World, viewer_client: Client, objective: Objective
) -> None:
    department = mine(world, "Department")
    direct = link(world, objective, department)
    html = section(viewer_client.get(url("objective", objective.uid)).content.decode())
    assert "Department" in html
    assert url("alignment_delete", direct.uid) not in html
    assert url("objective_align", objective.uid) not in html


# The way down, one level on the page ---------------------------------------------------------


def test_the_page_draws_one_level_down_and_says_how_many_more_are_below(
    world: World, member_client: Client, objective: Objective
) -> None:
    first, second = mine(world, "First contributor"), mine(world, "Second contributor")
    link(world, first, objective)
    link(world, second, objective)
    for i in range(3):
        link(world, mine(world, f"Below first {i}"), first)
    chain = queries.alignment_chain(world.member, objective, down_depth=1)
    assert titles(chain.down) == [["First contributor", []], ["Second contributor", []]]
    assert [node.below for node in chain.down] == [3, 0]
    assert chain.cut
    html = section(member_client.get(url("objective", objective.uid)).content.decode())
    assert "First contributor" in html and "and 3 more below it" in html
    assert "Below first" not in html
    assert f'href="{url("objective", objective.uid)}?chain=all#alignment"' in html
    response = member_client.get(url("objective", objective.uid) + "?chain=all", headers=HTMX)
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="alignment"')
    assert all(f"Below first {i}" in fragment for i in range(3))
    assert "Show the whole chain" not in fragment


def test_a_chain_one_level_deep_says_nothing_more(
    world: World, member_client: Client, objective: Objective
) -> None:
    link(world, mine(world, "Only contributor"), objective)
    html = section(member_client.get(url("objective", objective.uid)).content.decode())
    assert "Only contributor" in html
    assert "Show the whole chain" not in html and "more below it" not in html


def test_the_whole_chain_is_a_404_for_an_outsider(
    world: World, outsider_client: Client, objective: Objective
) -> None:
    full = url("objective", objective.uid) + "?chain=all"
    assert outsider_client.get(full, headers=HTMX).status_code == 404


# A constant number of queries ---------------------------------------------------------------


def build_chain(world: World, root: Objective, length: int) -> None:
    """`length` objectives above `root` and `length` below, alternating objective and key
    result links, every third one private."""
    below = root
    for i in range(length):
        parent = secret(world, f"Up {i}") if i % 3 == 1 else mine(world, f"Up {i}")
        target: Objective | KeyResult = kr_of(world, parent, f"Up KR {i}") if i % 2 else parent
        link(world, below, target)
        below = parent
    above = root
    for i in range(length):
        child = secret(world, f"Down {i}") if i % 3 == 1 else mine(world, f"Down {i}")
        target = kr_of(world, above, f"Down KR {i}") if i % 2 else above
        link(world, child, target)
        above = child


@pytest.mark.parametrize("length", [2, 7])
def test_the_chain_is_read_in_at_most_three_queries(
    world: World, objective: Objective, length: int
) -> None:
    build_chain(world, objective, length)
    with CaptureQueriesContext(connection) as queries_run:
        chain = queries.alignment_chain(world.member, objective)
    assert len(queries_run.captured_queries) == 3
    depth, node = 0, chain.up
    while node:
        depth, node = depth + 1, node[0].children
    assert depth == length


def test_the_objective_page_makes_as_many_queries_for_a_long_chain_as_for_a_short_one(
    world: World, member_client: Client
) -> None:
    counts = []
    for length in (3, 9):
        root = mine(world, f"Root {length}")
        build_chain(world, root, length)
        for suffix in ("", "?chain=all"):
            with CaptureQueriesContext(connection) as queries_run:
                response = member_client.get(url("objective", root.uid) + suffix)
            assert response.status_code == 200
            assert f"Up {length - 1}" in response.content.decode()
            counts.append(len(queries_run.captured_queries))
    assert counts[0] == counts[2] and counts[1] == counts[3]


# Cycles are rejected ------------------------------------------------------------------------


def test_aligning_the_top_of_a_chain_to_its_bottom_is_rejected(world: World) -> None:
    a, b, c = mine(world, "A"), mine(world, "B"), mine(world, "C")
    link(world, a, b)
    link(world, b, c)
    with pytest.raises(ValidationError, match="cycle: “A” already contributes"):
        link(world, c, a)
    assert not Alignment.objects.filter(child=c).exists()


def test_a_cycle_through_key_results_is_rejected(world: World) -> None:
    a, b, c = mine(world, "A"), mine(world, "B"), mine(world, "C")
    link(world, a, kr_of(world, b, "B KR"))
    link(world, b, kr_of(world, c, "C KR"))
    with pytest.raises(ValidationError, match="cycle"):
        link(world, c, kr_of(world, a, "A KR"))
    assert not Alignment.objects.filter(child=c).exists()


@pytest.mark.parametrize("through", ["objective", "key result"])
def test_the_align_form_shows_the_cycle_next_to_the_parent(
    world: World, member_client: Client, through: str
) -> None:
    a, b, c = mine(world, "A goal"), mine(world, "B goal"), mine(world, "C goal")
    a_kr = kr_of(world, a, "A KR")
    link(world, a, b)
    link(world, b, c)
    value = f"o:{a.uid}" if through == "objective" else f"k:{a_kr.uid}"
    response = member_client.post(url("objective_align", c.uid), {"parent": value})
    assert response.status_code == 200
    [error] = response.context["form"].errors["parent"]
    assert "cycle" in error and "A goal" in error
    assert not Alignment.objects.filter(child=c).exists()


def test_a_cycle_through_a_private_objective_does_not_name_it(
    world: World, member_client: Client
) -> None:
    a, c = mine(world, "A goal"), mine(world, "C goal")
    hidden = secret(world, "PRIVATE-MARKER middle")
    link(world, a, hidden)
    link(world, hidden, c)
    response = member_client.post(
        url("objective_align", c.uid), {"parent": f"o:{a.uid}"}, headers=HTMX
    )
    html = response.content.decode()
    assert "cycle" in html and "PRIVATE-MARKER" not in html
    assert not Alignment.objects.filter(child=c).exists()


def test_a_cycle_error_does_not_name_a_private_parent_given_by_its_id(world: World) -> None:
    """The API (or any other face) can name a parent by id; the message must not say what the
    actor may not read."""
    hidden = secret(world, "PRIVATE-MARKER top")
    c = mine(world, "C goal")
    link(world, hidden, c)
    with pytest.raises(ValidationError) as caught:
        services.align(actor=world.member, child=c, parent_objective=hidden)
    [message] = caught.value.message_dict["parent"]
    assert "cycle" in message and "PRIVATE-MARKER" not in message
    assert "a private objective" in message
    with pytest.raises(ValidationError, match="PRIVATE-MARKER top"):
        services.align(actor=world.admin, child=c, parent_objective=hidden)


def test_a_huge_graph_is_cut_short_and_says_so(
    world: World, member_client: Client, objective: Objective, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chain_module, "MAX_NODES", 2)
    build_chain(world, objective, 3)
    chain = queries.alignment_chain(world.member, objective)
    assert chain.truncated
    html = section(member_client.get(url("objective", objective.uid)).content.decode())
    assert "The chain is too large to show in full here." in html
