"""Settings: defaults from the specification and validation of operators' changes."""

from decimal import Decimal

import pytest
from referral.domain.settings import Settings, merge_settings
from referral.errors import Conflict, InvalidInput


def test_defaults_follow_the_specification() -> None:
    settings = Settings()
    assert settings.levels == 3
    assert settings.own_rate == 0
    assert settings.hold_days == 30
    assert settings.level_rates == (Decimal(50), Decimal(50), Decimal(50))
    assert settings.invite_only_new_buyers is False
    assert settings.rate_for_level(0) == 0
    assert settings.rate_for_level(4) == 0
    assert settings.texts.welcome.for_language("en").startswith("Welcome")
    assert settings.texts.welcome.for_language("ru").startswith("Добро")


def test_customer_example_rates_are_accepted() -> None:
    settings = merge_settings(Settings(), {"level_rates": ["10", "3", "1"], "own_rate": "0"})
    assert settings.rate_for_level(1) == 10
    assert settings.rate_for_level(3) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"levels": 2},  # the rates in force are for 3 levels
        {"min_withdrawal": 500, "max_withdrawal": 100},
    ],
)
def test_changes_that_do_not_fit_the_settings_conflict_with_them(changes: dict[str, object]) -> None:
    """Each value is valid; together with the settings in force they are not (a 409, not a 422)."""
    with pytest.raises(Conflict) as refused:
        merge_settings(Settings(), changes)
    assert refused.value.reason == "settings_misfit"
    [problem] = refused.value.details["errors"]
    assert problem["field"] == "settings" and problem["ctx"] == {"rule": "settings_misfit"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"levels": 0}, "levels"),
        ({"levels": 11, "level_rates": ["1"] * 11}, "levels"),
        ({"level_rates": ["-1", "3", "1"]}, "level_rates"),
        ({"own_rate": "-5"}, "own_rate"),
        ({"hold_days": 366}, "hold_days"),
        ({"hold_days": -1}, "hold_days"),
        ({"point_rate": "0"}, "point_rate"),
        ({"texts": {"welcome": {"ru": "  ", "en": "Hi"}}}, "texts.welcome.ru"),
        ({"texts": {"welcome": {"ru": "Привет"}}}, "texts.welcome.en"),
    ],
)
def test_invalid_changes_are_refused_with_the_field_named(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        merge_settings(Settings(), changes)
    fields = [problem["field"] for problem in refused.value.details["errors"]]
    assert any(f.startswith(field) for f in fields), fields


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(InvalidInput, match="Unknown settings: bonus"):
        merge_settings(Settings(), {"bonus": 1})


def test_texts_merge_per_key() -> None:
    updated = merge_settings(Settings(), {"texts": {"welcome": {"ru": "Здравствуйте", "en": "Hello"}}})
    assert updated.texts.welcome.ru == "Здравствуйте"
    assert updated.texts.conditions == Settings().texts.conditions
