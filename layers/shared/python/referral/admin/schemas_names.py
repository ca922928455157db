"""People as the admin API shows them (id, name, @username) and the exports' format parameters."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel

from referral.read.people import Person

CsvDelimiter = Annotated[
    str,
    Query(
        pattern="^(semicolon|comma)$",
        description="Between cells: semicolon (Excel where the decimal separator is a comma), or comma",
    ),
]
CsvLang = Annotated[
    str | None,
    Query(pattern="^(ru|en)$", description="Language of the header row (default: Accept-Language, else ru)"),
]


class PersonOut(BaseModel):
    """Someone a row names: the id always, the name and @username (without '@') where known."""

    id: str
    name: str | None
    username: str | None


def person_out(person: Person | None) -> PersonOut | None:
    if person is None:
        return None
    return PersonOut(id=person.id, name=person.name, username=person.username)
