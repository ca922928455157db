"""Settings from the environment: one validated model per function, read once at cold start.

A model's field ``max_rps`` is read from the variable ``MAX_RPS`` (the field's name in capitals); surrounding
whitespace is stripped and an empty variable counts as unset. A bad or missing value fails ``from_env`` with
every offending variable named, so a misconfigured function fails its start instead of a request.

A secret variable ``NAME`` (a field typed ``Secret``) holds the value itself locally; in the cloud
``NAME_SECRET_ID`` names a Secrets Manager secret instead, fetched (and cached) through Powertools
Parameters when first needed. Secret values are stripped of surrounding whitespace wherever they are read,
and never appear in an error message.
"""

from __future__ import annotations

import os
import types
from collections.abc import Mapping
from typing import Any, Self, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError

SECRET_CACHE_SECONDS = 300


class ConfigurationError(RuntimeError):
    """A setting is missing or invalid: the function cannot run."""


class Secret(BaseModel):
    """Where a secret comes from: the value itself (local runs) or a Secrets Manager secret id (AWS)."""

    model_config = ConfigDict(frozen=True)

    variable: str
    value: str | None = None
    secret_id: str | None = None

    def get(self, *, max_age: int = SECRET_CACHE_SECONDS, force_fetch: bool = False) -> str:
        """The value, stripped: from Secrets Manager (cached ``max_age`` seconds) when it has an id."""
        if self.secret_id:
            from aws_lambda_powertools.utilities import parameters

            fetched = parameters.get_secret(self.secret_id, max_age=max_age, force_fetch=force_fetch)
            value = fetched.strip() if isinstance(fetched, str) else ""
            if not value:
                raise ConfigurationError(f"secret {self.secret_id} for {self.variable} is empty")
            return value
        if not self.value:
            raise ConfigurationError(f"{self.variable} is not set")
        return self.value

    def __repr__(self) -> str:  # the value never reaches a log line
        return (
            f"Secret({self.variable}, {'secret_id=' + self.secret_id if self.secret_id else 'local value'})"
        )

    __str__ = __repr__


def _is_secret(annotation: Any) -> bool:
    if annotation is Secret:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return Secret in get_args(annotation)
    return False


class Settings(BaseModel):
    """Base of the settings models: fields named after their variables, validated once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read and validate the model's variables; ``ConfigurationError`` names each bad one."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            variable = name.upper()
            if _is_secret(field.annotation):
                value = env.get(variable, "").strip()
                secret_id = env.get(f"{variable}_SECRET_ID", "").strip()
                if value or secret_id:
                    values[name] = Secret(variable=variable, value=value or None, secret_id=secret_id or None)
                continue
            raw = env.get(variable, "").strip()
            if raw:
                values[name] = raw
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise ConfigurationError(_describe(cls, error)) from None


def _describe(model: type[Settings], error: ValidationError) -> str:
    problems = []
    for problem in error.errors():
        if not problem["loc"]:  # a rule over several variables: its message names them
            problems.append(str(problem["msg"]).removeprefix("Value error, "))
            continue
        field = str(problem["loc"][0])
        annotation = model.model_fields[field].annotation if field in model.model_fields else None
        variable = field.upper()
        if _is_secret(annotation):
            problems.append(f"{variable} (or {variable}_SECRET_ID): {problem['msg']}")
        elif problem["type"] == "missing":
            problems.append(f"{variable} is not set")
        else:
            problems.append(f"{variable}: {problem['msg']} (got {problem.get('input')!r})")
    return f"{model.__name__}: " + "; ".join(problems)


# --- single values, for code not yet given a settings model ------------------------------------------------


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
    return Secret(variable=name, value=optional(name), secret_id=secret_id or None).get()


def optional_secret(name: str) -> str | None:
    try:
        return secret(name)
    except ConfigurationError:
        return None
