"""The sizes of the generated organization: L as the issue sets it, M a tenth, S a hundredth."""

from __future__ import annotations

from dataclasses import dataclass

FACTORS = {"L": 1.0, "M": 0.1, "S": 0.01}

# Every generated person signs in with this password (one hash for all of them).
PASSWORD = "cairn-bench"


@dataclass(frozen=True)
class Counts:
    members: int
    teams: int
    periods: int
    objectives: int
    key_results: int
    check_ins: int
    dependencies: int
    initiatives: int

    @classmethod
    def at(cls, factor: float) -> Counts:
        def scaled(n: int, floor: int) -> int:
            return max(floor, round(n * factor))

        return cls(
            members=scaled(20_000, 12),
            teams=scaled(2_000, 6),
            periods=4,
            objectives=scaled(40_000, 24),
            key_results=scaled(150_000, 72),
            check_ins=scaled(2_000_000, 600),
            dependencies=scaled(5_000, 12),
            initiatives=scaled(60_000, 24),
        )


def slug_for(size: str, factor: float | None = None) -> str:
    """`bench-l`, `bench-m`, `bench-s`; a custom factor (tests) gets its own slug."""
    if factor is None:
        return f"bench-{size.lower()}"
    return f"bench-x{round(factor * 100_000)}"


def admin_email(slug: str) -> str:
    return f"admin@{slug}.example"


def member_email(slug: str, index: int) -> str:
    return f"m{index:05d}@{slug}.example"
