"""Keyboards: the main menu (reply keyboard) and the inline buttons of confirmations and settings."""

from __future__ import annotations

from typing import Any

from referral.telegram.texts import PHRASES, t

MENU_ROWS = (
    ("btn_link", "btn_links"),
    ("btn_balance", "btn_referrals"),
    ("btn_claim", "btn_new_link"),
    ("btn_withdraw", "btn_notifications"),
    ("btn_help",),
)

MENU_KEYS = {key for row in MENU_ROWS for key in row} | {"btn_cancel"}


def menu_action(text: str) -> str | None:
    """Which menu button a text is, in either language (users may switch their Telegram language)."""
    stripped = text.strip()
    for key in MENU_KEYS:
        if stripped in PHRASES[key]:
            return key
    return None


def main_menu(lang: str) -> dict[str, Any]:
    return {
        "keyboard": [[{"text": t(key, lang)} for key in row] for row in MENU_ROWS],
        "resize_keyboard": True,
        "is_persistent": True,
    }


def cancel_only(lang: str) -> dict[str, Any]:
    return {"keyboard": [[{"text": t("btn_cancel", lang)}]], "resize_keyboard": True}


def product_or_plain(lang: str) -> dict[str, Any]:
    """The product step of a new link: a product's URL is typed; "No product" makes a named plain link."""
    return {
        "keyboard": [[{"text": t("btn_no_product", lang)}], [{"text": t("btn_cancel", lang)}]],
        "resize_keyboard": True,
    }


def confirm_withdrawal(lang: str, key: str) -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [
                {"text": t("btn_confirm", lang), "callback_data": f"wd:ok:{key}"},
                {"text": t("btn_cancel", lang), "callback_data": f"wd:no:{key}"},
            ]
        ]
    }


DIGEST_BUTTONS: dict[str, str | None] = {"dg:daily": "daily", "dg:weekly": "weekly", "dg:off": None}
"""Each digest button's data and the frequency it chooses; any other data is a stale button."""
_DIGEST_LABELS = {"dg:daily": "btn_daily", "dg:weekly": "btn_weekly", "dg:off": "btn_off"}


def digest_choice(lang: str, current: str | None) -> dict[str, Any]:
    def label(data: str) -> str:
        return ("• " if DIGEST_BUTTONS[data] == current else "") + t(_DIGEST_LABELS[data], lang)

    return {"inline_keyboard": [[{"text": label(data), "callback_data": data} for data in DIGEST_BUTTONS]]}
