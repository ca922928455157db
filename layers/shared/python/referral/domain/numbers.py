"""Numbers as they come over JSON: a model accepts exactly what its JSON Schema promises.

JSON has one number type, and JSON Schema calls ``3.0`` an integer, where pydantic's strict ``int``
refuses it. Money in query strings is text, so its schema says which text: digits and at most two
decimal places.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, WithJsonSchema, model_validator


def whole_float_as_int(value: object) -> object:
    """``3.0`` is the integer 3; ``3.5``, ``"3"`` and ``true`` are left for strict fields to refuse."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class JsonNumbers(BaseModel):
    """A model read from JSON: a whole number written with a fraction (``3.0``) counts as an integer.

    Done before validation, on the model, so that the fields keep their strict types and their JSON
    Schema (bounds included). A float field still gets a float; a Decimal field the same value.
    """

    @model_validator(mode="before")
    @classmethod
    def _whole_floats_are_integers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: whole_float_as_int(value) for key, value in data.items()}
        return data


RUBLES_PATTERN = r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$"
"""Rubles as text: up to 999 999 999 999.99, with no sign, exponent or third decimal place."""

RublesText = WithJsonSchema({"type": "string", "pattern": RUBLES_PATTERN, "examples": ["1500.00"]})
"""The JSON Schema of an amount of rubles given as text (a query parameter)."""


def decimal_schema(text: str, low: int, high: int) -> WithJsonSchema:
    """A decimal's JSON Schema: a whole number in bounds, or text with the places it may have.

    A float is never promised: ``0.1 + 0.2`` has no exact decimal, and money must be exact.
    """
    return WithJsonSchema(
        {"anyOf": [{"type": "integer", "minimum": low, "maximum": high}, {"type": "string", "pattern": text}]}
    )
