"""The published Telegram Bot API description, and checks of calls, answers and updates against it.

The description (``telegram-bot-api.json``, see ``shared/contracts/README.md``) lists every method with its
parameters and return type, and every object type with its fields and subtypes. A call is checked the way
Telegram reads it: a form's values are strings that Telegram decodes by the parameter's type (numbers and
booleans from their text, objects and arrays from JSON), a JSON body's values are taken as they are.
Objects are checked strictly: a field the type does not have is a violation, as is a missing required one.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

CONTRACT_FILE = "telegram-bot-api.json"
REPOSITORY = Path(__file__).resolve().parents[2]

_ARRAY = "Array of "
_INTEGER = re.compile(r"-?\d+")
_ALWAYS = re.compile(r'always "([^"]+)"')


class ContractMissing(RuntimeError):
    """The contract file is not where CI puts it (``shared/`` beside the repository) nor in $CONTRACTS_DIR."""


def _checkout_roots() -> list[Path]:
    """This checkout, and the main checkout when this one is a git worktree (its ``.git`` is a file)."""
    roots = [REPOSITORY]
    git = REPOSITORY / ".git"
    if git.is_file():
        pointer = git.read_text().partition("gitdir:")[2].strip()
        common = Path(pointer).resolve().parents[1] if pointer else None
        if common is not None and common.name == ".git":
            roots.append(common.parent)
    return roots


def contracts_dir() -> Path:
    """Where the vendors' contracts are: $CONTRACTS_DIR, else ``shared/contracts`` beside the repository."""
    given = os.environ.get("CONTRACTS_DIR")
    candidates = (
        [Path(given)] if given else [root.parent / "shared" / "contracts" for root in _checkout_roots()]
    )
    for candidate in candidates:
        if (candidate / CONTRACT_FILE).is_file():
            return candidate
    looked = ", ".join(str(c / CONTRACT_FILE) for c in candidates)
    raise ContractMissing(
        f"The Telegram Bot API contract is missing (looked for {looked}). Put the shared contracts "
        "beside the repository (shared/contracts/) or point CONTRACTS_DIR at them."
    )


@functools.cache
def load() -> TelegramContract:
    """The contract, read once per process; raises ``ContractMissing`` when it cannot be found."""
    return TelegramContract(json.loads((contracts_dir() / CONTRACT_FILE).read_text(encoding="utf-8")))


class TelegramContract:
    """Checks against one version of the Bot API description; each check returns the violations found."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.version = str(spec["version"])
        self.methods: dict[str, Any] = dict(spec["methods"])
        self.types: dict[str, Any] = dict(spec["types"])

    def knows(self, method: str) -> bool:
        return method in self.methods

    def call_violations(self, method: str, params: Mapping[str, Any], *, form: bool) -> list[str]:
        """A call of ``method`` with ``params`` (a form's strings when ``form``) as Telegram reads it."""
        if method not in self.methods:
            return [f"unknown method {method!r}"]
        fields = {f["name"]: f for f in self.methods[method].get("fields", [])}
        found = [f"{name}: not a parameter of {method}" for name in params if name not in fields]
        found += [
            f"{name}: required parameter missing"
            for name, spec in fields.items()
            if spec["required"] and name not in params
        ]
        for name, value in params.items():
            if name in fields:
                found += self._parameter_violations(value, fields[name]["types"], name, form)
        return found

    def result_violations(self, method: str, result: Any) -> list[str]:
        """The ``result`` of a successful ``method`` call against the method's documented return types."""
        if method not in self.methods:
            return [f"unknown method {method!r}"]
        return self.value_violations(result, self.methods[method]["returns"], "result")

    def update_violations(self, update: Mapping[str, Any]) -> list[str]:
        return self.value_violations(update, ["Update"], "update")

    def value_violations(self, value: Any, types: list[str], path: str) -> list[str]:
        """``value`` as one of ``types`` (names as the docs write them); else the closest type's problems."""
        best: list[str] | None = None
        for name in types:
            found = self._violations_as(value, name, path)
            if not found:
                return []
            if best is None or len(found) < len(best):
                best = found
        if len(types) > 1 and best is not None and len(best) == 1 and best[0].startswith(f"{path}: expected"):
            return [f"{path}: expected {' or '.join(types)}, got {_shown(value)}"]
        return best or []

    # --- internals ------------------------------------------------------------------------------------

    def _parameter_violations(self, value: Any, types: list[str], path: str, form: bool) -> list[str]:
        if not form:
            return self.value_violations(value, types, path)
        if not isinstance(value, str):
            return [f"{path}: a form value must be text, got {_shown(value)}"]
        best: list[str] | None = None
        for name in types:
            decoded = _decoded(value, name)
            found = (
                self._violations_as(decoded[1], name, path)
                if decoded[0]
                else [f"{path}: {value!r} is not readable as {name}"]
            )
            if not found:
                return []
            if best is None or len(found) < len(best):
                best = found
        return best or []

    def _violations_as(self, value: Any, name: str, path: str) -> list[str]:
        if name.startswith(_ARRAY):
            if not isinstance(value, list):
                return [f"{path}: expected {name}, got {_shown(value)}"]
            item = name.removeprefix(_ARRAY)
            return [
                problem
                for i, v in enumerate(value)
                for problem in self._violations_as(v, item, f"{path}[{i}]")
            ]
        primitive = _PRIMITIVES.get(name)
        if primitive is not None:
            return [] if primitive(value) else [f"{path}: expected {name}, got {_shown(value)}"]
        if name not in self.types:
            return [f"{path}: the contract has no type {name!r}"]
        spec = self.types[name]
        if spec.get("subtypes"):
            return self.value_violations(value, list(spec["subtypes"]), path)
        if name == "InputFile":
            return (
                [] if isinstance(value, str | bytes) else [f"{path}: expected InputFile, got {_shown(value)}"]
            )
        if not isinstance(value, dict):
            return [f"{path}: expected {name}, got {_shown(value)}"]
        return self._object_violations(value, name, spec.get("fields", []), path)

    def _object_violations(
        self, value: dict[str, Any], name: str, fields: list[dict[str, Any]], path: str
    ) -> list[str]:
        known = {f["name"]: f for f in fields}
        if not known:
            return []  # a placeholder type the docs describe in words only (e.g. CallbackGame)
        found = [f"{path}.{key}: not a field of {name}" for key in value if key not in known]
        found += [
            f"{path}.{key}: required field of {name} missing"
            for key, f in known.items()
            if f["required"] and key not in value
        ]
        for key, item in value.items():
            if key not in known:
                continue
            found += self.value_violations(item, known[key]["types"], f"{path}.{key}")
            fixed = _ALWAYS.search(known[key].get("description", ""))
            if fixed is not None and item != fixed.group(1):
                found.append(f"{path}.{key}: {name} has always {fixed.group(1)!r}, got {_shown(item)}")
        return found


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_float(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_PRIMITIVES: dict[str, Callable[[Any], bool]] = {
    "Integer": _is_integer,
    "Float": _is_float,
    "String": lambda value: isinstance(value, str),
    "Boolean": lambda value: isinstance(value, bool),
    "True": lambda value: value is True,
}


def _decoded(text: str, name: str) -> tuple[bool, Any]:
    """A form value as Telegram reads it for type ``name``: (readable, value)."""
    if name == "Integer":
        return (True, int(text)) if _INTEGER.fullmatch(text) else (False, None)
    if name == "Float":
        try:
            return True, float(text)
        except ValueError:
            return False, None
    if name in ("Boolean", "True"):
        return (True, text == "true") if text in ("true", "false") else (False, None)
    if name in ("String", "InputFile"):
        return True, text
    try:
        return True, json.loads(text)
    except ValueError:
        return False, None


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
