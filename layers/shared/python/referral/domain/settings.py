"""Program settings: reward levels and rates, hold period, withdrawal limits, texts.

Settings are one versioned document. Services read them through a short-lived cache (the rates in
force are copied onto every ledger entry, so a cached read never changes what was promised), and
operators update them with optimistic concurrency on ``version``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from referral.domain.claim_policy import ClaimPolicy
from referral.domain.numbers import JsonNumbers, decimal_schema
from referral.domain.risks import RiskThresholds
from referral.errors import Conflict, InvalidInput, field_errors

MAX_LEVELS = 10
"""Deepest level the program can ever reward; ancestor chains are kept this long."""

RATE_TEXT = r"^(1000(\.0{1,2})?|(0|[1-9][0-9]{0,2})(\.[0-9]{1,2})?)$"
MISFIT = "settings_misfit"
"""The reason given when settings, each valid, do not fit together."""
NOT_BLANK = r"\S"
"""Some text besides spaces (a search, as JSON Schema patterns are)."""
POINT_RATE_TEXT = (
    r"^(1000000(\.0{1,4})?|[1-9][0-9]{0,5}(\.[0-9]{1,4})?"
    r"|0\.([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$"
)


Rate = Annotated[
    Decimal, Field(ge=0, le=1000, max_digits=7, decimal_places=2), decimal_schema(RATE_TEXT, 0, 1000)
]
"""Points per 1000 RUB of purchase amount."""


class LocalizedText(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ru: str = Field(min_length=1, max_length=4000, json_schema_extra={"pattern": NOT_BLANK})
    en: str = Field(min_length=1, max_length=4000, json_schema_extra={"pattern": NOT_BLANK})

    @field_validator("ru", "en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be blank")
        return value

    def for_language(self, language_code: str | None) -> str:
        return self.en if (language_code or "").lower().startswith("en") else self.ru


class Texts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    conditions: LocalizedText = LocalizedText(
        ru="Приглашайте друзей и получайте баллы за их покупки на Ozon: до 3 уровней сети. "
        "Баллы замораживаются на срок возврата, затем их можно вывести.",
        en="Invite friends and earn points for their Ozon purchases, down to 3 levels of your network. "
        "Points are frozen for the return period, then you can withdraw them.",
    )
    welcome: LocalizedText = LocalizedText(
        ru="Добро пожаловать в программу! Ваша ссылка для приглашений — в меню «Моя ссылка».",
        en="Welcome to the program! Your invitation link is in the “My link” menu.",
    )
    ozon_id_howto: LocalizedText = LocalizedText(
        ru="Откройте приложение Ozon → Профиль → нажмите на своё имя: ID указан под ним. "
        "Отправьте его сюда одним сообщением (только цифры).",
        en="Open the Ozon app → Profile → tap your name: the ID is shown below it. "
        "Send it here as one message (digits only).",
    )
    withdrawal_instruction: LocalizedText = LocalizedText(
        ru="Укажите, сколько баллов вы хотите вывести. После подтверждения оператор свяжется с вами "
        "в этом чате, чтобы согласовать способ выплаты.",
        en="Tell us how many points you want to withdraw. After you confirm, an operator will contact "
        "you in this chat to agree on the payout method.",
    )
    promo_code: LocalizedText = LocalizedText(
        ru="Промокоды появятся позже — следите за новостями.",
        en="Promo codes are coming later — stay tuned.",
    )
    product_links: LocalizedText = LocalizedText(
        ru="Создайте ссылку на товар: пришлите название и ссылку на товар Ozon или его SKU.",
        en="Create a product link: send the product name and its Ozon URL or SKU.",
    )


class Settings(JsonNumbers):
    """The validated settings document. Defaults follow the product specification.

    Whole numbers and switches are strict: ``true`` is not a number of days and ``"yes"`` is not a switch.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    levels: StrictInt = Field(default=3, ge=1, le=MAX_LEVELS)
    level_rates: tuple[Rate, ...] = Field(
        default=(Decimal(50), Decimal(50), Decimal(50)), min_length=1, max_length=MAX_LEVELS
    )
    own_rate: Rate = Decimal(0)
    hold_days: StrictInt = Field(default=30, ge=0, le=365)
    point_rate: Annotated[Decimal, decimal_schema(POINT_RATE_TEXT, 1, 1_000_000)] = Field(
        default=Decimal(1), gt=0, le=1_000_000, max_digits=12, decimal_places=4
    )
    min_withdrawal: StrictInt = Field(default=100, ge=1, le=100_000_000)
    max_withdrawal: StrictInt | None = Field(default=None, ge=1, le=1_000_000_000)
    invite_only_new_buyers: StrictBool = False
    texts: Texts = Texts()
    risks: RiskThresholds = RiskThresholds()
    claims: ClaimPolicy = ClaimPolicy()

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if len(self.level_rates) != self.levels:
            raise misfit(f"level_rates must have exactly {self.levels} values, one per rewarded level")
        if self.max_withdrawal is not None and self.max_withdrawal < self.min_withdrawal:
            raise misfit("max_withdrawal must not be below min_withdrawal")
        return self

    def rate_for_level(self, level: int) -> Decimal:
        """Rate for a level; 0 is the buyer's own purchase. Levels beyond ``levels`` earn nothing."""
        if level == 0:
            return self.own_rate
        if 1 <= level <= self.levels:
            return self.level_rates[level - 1]
        return Decimal(0)

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Settings:
        return parse_settings(document)


def misfit(message: str) -> PydanticCustomError:
    """Settings each valid alone that do not fit together: told apart from a wrong value (a 409)."""
    return PydanticCustomError("value_error", message, {"rule": MISFIT})


def parse_settings(document: dict[str, Any]) -> Settings:
    """Validate a settings document, turning pydantic's report into a domain error with details.

    A wrong value is invalid input; values that are each right but do not fit together (say, the
    levels changed and the rates did not) conflict with the settings they would be combined with.
    """
    try:
        return Settings.model_validate(document)
    except ValidationError as exc:
        problems = field_errors(exc.errors(include_url=False), whole="settings")
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        if all(problem.get("ctx", {}).get("rule") == MISFIT for problem in problems):
            raise Conflict(
                f"The settings do not fit together: {summary}", details={"errors": problems}, reason=MISFIT
            ) from None
        raise InvalidInput(
            f"Invalid settings: {summary}", details={"errors": problems}, reason="invalid_settings"
        ) from None


def merge_settings(current: Settings, changes: dict[str, Any]) -> Settings:
    """Apply a partial update (top-level keys, texts merged per key) and validate the result."""
    document = current.to_document()
    unknown = sorted(set(changes) - set(document))
    if unknown:
        raise InvalidInput(
            f"Unknown settings: {', '.join(unknown)}", details={"unknown": unknown}, reason="unknown_settings"
        )
    for key, value in changes.items():
        if key == "texts" and isinstance(value, dict):
            document["texts"] = {**document["texts"], **value}
        else:
            document[key] = value
    return parse_settings(document)
