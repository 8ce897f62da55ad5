"""Who does what in the load test: street users spread over the streets, each with its own
ledger rows, so that no two simulated users ever edit the same row."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Slot:
    """One simulated street user: the street, its place among the street's users, and how
    many users that street has (the user takes every `mates`-th row from `index`)."""

    street: str
    index: int
    mates: int

    def owns(self, rows: list[int]) -> list[int]:
        return rows[self.index :: self.mates]


def users_per_street(communities: dict[str, int], users: int) -> dict[str, int]:
    """Spread `users` over the streets in proportion to their communities: at least one
    each (every street must submit), never more than its communities (a user needs a row)."""
    capacity = sum(communities.values())
    if not len(communities) <= users <= capacity:
        raise ValueError(f"{users} users cannot cover {len(communities)} streets, {capacity} rows")
    share = {code: max(1, users * n // capacity) for code, n in communities.items()}
    # Hand out what rounding left over (or take back what the minimum added), largest
    # streets first, within each street's bounds.
    by_size = sorted(communities, key=lambda code: (-communities[code], code))
    while sum(share.values()) != users:
        step = 1 if sum(share.values()) < users else -1
        for code in by_size:
            if sum(share.values()) == users:
                break
            if 1 <= share[code] + step <= communities[code]:
                share[code] += step
    return share


def slots(communities: dict[str, int], users: int) -> list[Slot]:
    """Every street user's slot, streets interleaved so that the ramp-up reaches all
    streets early rather than filling them one after the other."""
    share = users_per_street(communities, users)
    ordered = sorted(share)
    out = []
    for index in range(max(share.values())):
        out += [Slot(code, index, share[code]) for code in ordered if index < share[code]]
    return out
