"""The referral tree: ancestor chains kept on each participant, re-parenting and cycle refusal (R12)."""

from __future__ import annotations

from referral.domain.settings import MAX_LEVELS
from referral.errors import ReferralCycle, SelfReferral


def chain_under(parent_id: str | None, parent_chain: tuple[str, ...]) -> tuple[str, ...]:
    """The chain of a child of ``parent_id`` (nearest first), cut at the deepest rewarded level."""
    if parent_id is None:
        return ()
    return (parent_id, *parent_chain)[:MAX_LEVELS]


def check_new_sponsor(
    participant_id: str, new_sponsor_id: str | None, sponsor_lineage: tuple[str, ...]
) -> None:
    """Refuse self-sponsorship and cycles. ``sponsor_lineage``: every ancestor of the new sponsor."""
    if new_sponsor_id is None:
        return
    if new_sponsor_id == participant_id:
        raise SelfReferral("A participant cannot be their own sponsor.")
    if participant_id in sponsor_lineage:
        raise ReferralCycle(
            "The new sponsor is in this participant's own network: the change would create a cycle.",
            details={"participant_id": participant_id, "sponsor_id": new_sponsor_id},
        )
