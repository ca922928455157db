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


def confirm_withdrawal(lang: str, key: str) -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [
                {"text": t("btn_confirm", lang), "callback_data": f"wd:ok:{key}"},
                {"text": t("btn_cancel", lang), "callback_data": f"wd:no:{key}"},
            ]
        ]
    }


def digest_choice(lang: str, current: str | None) -> dict[str, Any]:
    def label(key: str, value: str | None) -> str:
        return ("• " if value == current else "") + t(key, lang)

    return {
        "inline_keyboard": [
            [
                {"text": label("btn_daily", "daily"), "callback_data": "dg:daily"},
                {"text": label("btn_weekly", "weekly"), "callback_data": "dg:weekly"},
                {"text": label("btn_off", None), "callback_data": "dg:off"},
            ]
        ]
    }
