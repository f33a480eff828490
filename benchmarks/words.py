"""Words for generated titles and texts: short, varied, deterministic for a seed."""

from __future__ import annotations

import random

TEAM_ADJECTIVES = (
    "Core",
    "Mobile",
    "Cloud",
    "Data",
    "Retail",
    "Field",
    "Partner",
    "Growth",
    "Payments",
    "Search",
    "Identity",
    "Billing",
    "Supply",
    "Clinical",
    "Trust",
    "Edge",
    "Studio",
    "Fleet",
    "Insights",
    "Platform",
    "Commerce",
    "Service",
    "Quality",
    "People",
)
TEAM_NOUNS = (
    "Division",
    "Group",
    "Tribe",
    "Squad",
    "Crew",
    "Guild",
    "Unit",
    "Lab",
    "Desk",
    "Cell",
)
VERBS = (
    "Grow",
    "Reduce",
    "Launch",
    "Win",
    "Delight",
    "Simplify",
    "Scale",
    "Secure",
    "Modernise",
    "Automate",
    "Expand",
    "Harden",
    "Speed up",
    "Open",
    "Strengthen",
    "Unify",
)
THINGS = (
    "onboarding",
    "self-service",
    "the partner channel",
    "enterprise renewals",
    "checkout",
    "our data platform",
    "mobile engagement",
    "support quality",
    "the release train",
    "incident response",
    "pricing",
    "the Nordic market",
    "search relevance",
    "retention",
    "billing accuracy",
    "developer experience",
    "hiring",
    "warehouse throughput",
)
METRICS = (
    ("weekly active teams", ""),
    ("conversion rate", "%"),
    ("p95 latency", "ms"),
    ("net revenue retention", "%"),
    ("tickets per 1k users", ""),
    ("NPS", ""),
    ("monthly revenue", "kEUR"),
    ("deploys per week", ""),
    ("open critical bugs", ""),
    ("activation rate", "%"),
    ("time to first value", "days"),
    ("cost per order", "EUR"),
)
PHRASES = (
    "shipped the first slice to beta customers",
    "pairing with support on the top issues",
    "the migration took longer than planned",
    "two customers asked for the same thing",
    "we found a cheaper way to run the nightly jobs",
    "waiting on the legal review",
    "the experiment beat the control by a small margin",
    "hiring is slower than hoped",
    "the new dashboard shows where users drop off",
    "a partner pulled out of the pilot",
    "numbers are flat after the holiday dip",
    "the vendor fixed the API limits",
)
PLANS = (
    "run the pricing experiment in two regions",
    "finish the data migration and remove the old path",
    "interview five churned customers",
    "pair with the platform team on the rollout",
    "ship the onboarding checklist to everyone",
    "write the runbook and train on-call",
    "close the top three support issues",
    "hand over the pilot to the field team",
)


def objective_title(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)} {rng.choice(THINGS)}"


def sentence(rng: random.Random) -> str:
    return rng.choice(PHRASES)


def plan(rng: random.Random) -> str:
    return rng.choice(PLANS)
