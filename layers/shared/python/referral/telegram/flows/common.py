"""What every dialog of the participants' flows shares: its dependencies and how refusals are worded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from referral.domain.orders import Posting, PostingLookup
from referral.errors import DomainError
from referral.ozon.errors import OzonError
from referral.repository.bot_state import BotState
from referral.services import Services
from referral.telegram import texts
from referral.telegram.config import BotConfig
from referral.telegram.operators import OperatorDesk
from referral.telegram.texts import Html

MAX_TEXT = 3500


class UnavailableLookup:
    """Stands in for the Seller API client where none is configured: every claim is 'try later'."""

    def find_postings(self, number: str) -> list[Posting]:
        raise OzonError("the Seller API client is not configured")


@dataclass(frozen=True)
class FlowContext:
    """The dialogs' dependencies, built once per container at the composition root."""

    services: Services
    config: BotConfig
    lookup: PostingLookup
    desk: OperatorDesk | None
    state: BotState
    clock: Callable[[], datetime]


def join(lines: list[Html]) -> Html:
    text = Html("\n\n".join(lines))
    return text if len(text) <= 4000 else Html(text[:3990] + "\n…")


def product_url(ref: str) -> str:
    return ref if ref.startswith("https://") else f"https://www.ozon.ru/product/{ref}/"


def refusal(error: DomainError, lang: str) -> Html:
    """The refusal in the user's words, by its stable reason, with the numbers it carries."""
    details = error.details
    return texts.refusal(
        error.reason,
        lang,
        minimum=texts.count(int(details.get("min_withdrawal", 0)), "points", lang),
        maximum=texts.count(int(details.get("max_withdrawal", 0)), "points", lang),
        available=texts.count(max(int(details.get("available", 0)), 0), "points", lang),
    )
