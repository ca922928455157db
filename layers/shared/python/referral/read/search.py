"""Name search: any part of a name or @username, in any case, with ё and е (Ё and Е) alike.

The participants' name and username indexes (``P_NAME``, ``P_USERNAME``) are keys-only, and their sort
keys already carry the casefolded name and @username (``keys.sort_name``, ``keys.sort_username``). A
search queries both with a FilterExpression of ``contains`` on that sort key: DynamoDB reads up to 1 MB
of index entries per Query (~80 bytes each: about 10,000 participants) and returns only the entries
that can match; the exact test (``ё`` = ``е``) is made here on the returned keys. The matches' profiles
are then read with one BatchGetItem.

Cost: ``ceil(participants / ~10,000)`` Queries per index, at most ``SEARCH_PAGES`` each (about 100,000
participants), plus one BatchGetItem. The read capacity is that of the index entries read (~20 RCU per
10,000 participants, eventually consistent). When the term matches more than ``CANDIDATES`` people, or
the index is larger than the budget, the list falls back to walking its sort index page by page with
the same test on the profiles (``SCAN_BUDGET`` entries a request, with a cursor). Nothing is written:
participants registered before this search existed are found as they are.
"""

from __future__ import annotations

import re
from functools import reduce
from typing import Any

from pynamodb.expressions.condition import Condition

from referral.read.query import Key, connection
from referral.repository import keys
from referral.repository.models import ParticipantItem

SEARCH_PAGES = 10
"""Most Query pages of one index a search reads before it falls back to walking the list."""

_E_LETTERS = re.compile("[её]")


def normalise(text: str | None) -> str:
    """The form names are compared in: casefolded, ``ё`` as ``е``, spaces collapsed."""
    return " ".join((text or "").casefold().replace("ё", "е").split())


def _without_id(sort_value: str) -> str:
    """A sort key of the list indexes without the ``#<id>`` appended to it."""
    return sort_value.rpartition("#")[0] or sort_value


def _filter(attribute: Any, term: str) -> Condition:
    """What DynamoDB can check for ``term`` on an index key: every part between е/ё is contained
    (a superset of the matches, exact once checked here); a term of е/ё alone: either letter."""
    parts = [part for part in _E_LETTERS.split(term) if part]
    if not parts:
        either: Condition = attribute.contains("е") | attribute.contains("ё")
        return either
    conditions: list[Condition] = [attribute.contains(part) for part in parts]
    return reduce(lambda a, b: a & b, conditions)


def _matching_keys(index: str, attribute: Any, term: str, room: int) -> list[Key] | None:
    """The index entries whose sort key contains ``term``; ``None``: more than ``room``, or the index
    is larger than the budget."""
    found: list[Key] = []
    start: Key | None = None
    attr_name: str = attribute.attr_name
    for _ in range(SEARCH_PAGES):
        raw, start = _query_filtered(index, _filter(attribute, term), start)
        found += [entry for entry in raw if term in normalise(_without_id(entry[attr_name]["S"]))]
        if len(found) > room:
            return None
        if start is None:
            return found
    return None


def _query_filtered(index: str, condition: Condition, start: Key | None) -> tuple[list[Key], Key | None]:
    response = connection().query(
        keys.PARTICIPANT_LIST,
        index_name=index,
        filter_condition=condition,
        exclusive_start_key=start,
        scan_index_forward=True,
    )
    return list(response.get("Items", [])), response.get("LastEvaluatedKey")


def matching_keys(term: str, *, username_only: bool, room: int) -> list[Key] | None:
    """Profile keys of everyone whose name or @username contains ``term`` (normalised), or ``None`` when
    more than ``room`` match or the indexes are larger than the search's budget."""
    found: list[Key] = []
    sources: list[tuple[str, Any]] = [("P_USERNAME", ParticipantItem.sort_username)]
    if not username_only:
        sources.insert(0, ("P_NAME", ParticipantItem.sort_name))
    for index, attribute in sources:
        matches = _matching_keys(index, attribute, term, room)
        if matches is None:
            return None
        found += matches
    unique = {entry["PK"]["S"]: entry for entry in found}
    return None if len(unique) > room else list(unique.values())


def profile_matches(item: ParticipantItem, term: str, *, username_only: bool) -> bool:
    """The same test on a profile (the fallback walk): the name shown, or the @username, contains it."""
    username = normalise((item.username or "").lstrip("@"))
    if term in username:
        return True
    if username_only:
        return False
    name = " ".join(part for part in (item.first_name, item.last_name) if part) or (item.username or "")
    return term in normalise(name)
