"""Helpers of the contract tests: a client wired straight to the fake, and the fields our models read."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel
from referral.ozon.client import OzonClient
from referral.ozon.config import ClientConfig
from referral.ozon.http import OzonHttp

from devtools.fake_ozon import FakeOzon, RecordedRequest
from devtools.ozon_contract import OzonContract


class NoBudget:
    def acquire(self) -> None:
        return None


def client_of(fake: FakeOzon) -> OzonClient:
    """A client of the fake with no waiting: contract tests look at what is sent, not at retries."""
    config = ClientConfig(base_url=fake.url, timeout_seconds=2.0, max_attempts=1)
    return OzonClient(OzonHttp(fake.client_id, fake.api_key, config, budget=NoBudget()))


def request_problems(contract: OzonContract, request: RecordedRequest) -> list[str]:
    """What the document says is wrong with a request our client sent (nothing, if it is right)."""
    return [f"{request.path}: {problem}" for problem in contract.request_problems(request.path, request.body)]


def answer_problems(contract: OzonContract, request: RecordedRequest) -> list[str]:
    """What the document says is wrong with the fake's answer, with every misspelt field an error."""
    problems = contract.response_problems(request.path, request.status, request.answer, strict=True)
    return [f"{request.path} → {request.status}: {problem}" for problem in problems]


def model_fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    """The dotted paths (by Ozon's names) of every field ``model`` reads, nested models walked into."""
    paths: set[str] = set()
    for name, info in model.model_fields.items():
        path = f"{prefix}{info.alias or name}"
        paths.add(path)
        for nested in _models_in(info.annotation):
            paths |= model_fields(nested, f"{path}.")
    return paths


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for argument in get_args(annotation) for model in _models_in(argument)]
