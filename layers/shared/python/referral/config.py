"""Configuration from the environment, read once per container and validated; secrets resolved lazily.

A secret variable ``NAME`` holds the value itself locally; in the cloud ``NAME_SECRET_ID`` names a Secrets
Manager secret instead, fetched (and cached) through Powertools Parameters.
"""

from __future__ import annotations

import os

SECRET_CACHE_SECONDS = 300


class ConfigurationError(RuntimeError):
    """A required setting is missing: the function cannot run."""


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"{name} is not set")
    return value


def optional(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or default


def secret(name: str) -> str:
    """The secret ``name``: from Secrets Manager when ``{name}_SECRET_ID`` is set, else the variable."""
    secret_id = os.environ.get(f"{name}_SECRET_ID", "").strip()
    if secret_id:
        from aws_lambda_powertools.utilities import parameters

        value = parameters.get_secret(secret_id, max_age=SECRET_CACHE_SECONDS)
        if not isinstance(value, str) or not value:
            raise ConfigurationError(f"secret {secret_id} for {name} is empty")
        return value
    return required(name)


def optional_secret(name: str) -> str | None:
    try:
        return secret(name)
    except ConfigurationError:
        return None
