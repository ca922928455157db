"""Ozon's published Seller API document (OpenAPI 3), as validators of request and response bodies.

The fake Seller API refuses requests the document would not accept, and the contract tests check the
fake's answers against it, so our client and our fake answer to Ozon's contract rather than to each other.
The document lives beside the repository (``../shared/contracts/ozon-seller-api.json``) or in
``$CONTRACTS_DIR``. Its known quirks are normalised here: ``pattern`` values are human-readable
placeholders (dropped), and a few ``$ref``s point to an external ``rpcStatus.yaml`` (mapped to the
document's own ``rpcStatus``).
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator  # type: ignore[import-untyped]

FILE_NAME = "ozon-seller-api.json"
REPOSITORY = Path(__file__).resolve().parent.parent
EXTERNAL_RPC_STATUS = "rpcStatus.yaml"


class ContractMissing(FileNotFoundError):
    """The vendored Seller API document is not where it is expected."""


def contract_path() -> Path:
    """``$CONTRACTS_DIR/ozon-seller-api.json`` if set, else ``<repository>/../shared/contracts/``."""
    configured = os.environ.get("CONTRACTS_DIR")
    folder = Path(configured) if configured else REPOSITORY.parent / "shared" / "contracts"
    path = folder / FILE_NAME
    if not path.is_file():
        raise ContractMissing(
            f"Ozon's Seller API document was not found at {path}. Put a copy of {FILE_NAME} in "
            f"{REPOSITORY.parent / 'shared' / 'contracts'} (beside the repository) or point CONTRACTS_DIR "
            "at the folder holding it."
        )
    return path


class OzonContract:
    """Resolved request/response schemas of the document's operations, built once per operation."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.schemas: dict[str, Any] = document["components"]["schemas"]
        self._validators: dict[tuple[str, str, bool], Draft7Validator] = {}

    # --- operations ----------------------------------------------------------------------------------

    def operation(self, path: str) -> dict[str, Any] | None:
        """The POST operation at ``path``, or None when the document has no such method."""
        item = self.document["paths"].get(path)
        if not isinstance(item, dict):
            return None
        operation = item.get("post")
        return operation if isinstance(operation, dict) else None

    def deprecated(self, path: str) -> bool:
        operation = self.operation(path)
        return bool(operation and operation.get("deprecated"))

    def request_schema(self, path: str, *, strict: bool = False) -> dict[str, Any] | None:
        """The resolved request body schema; None when the method takes no body (``/v1/roles``)."""
        operation = self._require(path)
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        schema = body.get("schema")
        return self.resolve(schema, strict=strict) if schema is not None else None

    def response_schema(self, path: str, status: int, *, strict: bool = False) -> dict[str, Any]:
        """The resolved schema of the answer ``status`` (or the operation's ``default`` answer)."""
        responses = self._require(path)["responses"]
        answer = responses.get(str(status)) or responses.get("default")
        if answer is not None:
            schema = answer["content"]["application/json"]["schema"]
        elif status >= 400:  # an error the method does not list (429, 401): Ozon answers them all alike
            schema = {"$ref": "#/components/schemas/rpcStatus"}
        else:
            raise KeyError(f"{path} documents no {status} answer")
        resolved: dict[str, Any] = self.resolve(schema, strict=strict)
        return resolved

    # --- validation ----------------------------------------------------------------------------------

    def request_problems(self, path: str, body: Any) -> list[str]:
        """Why Ozon would refuse ``body`` at ``path``: unknown or deprecated method, or a schema violation."""
        if self.operation(path) is None:
            return [f"{path} is not a method of the Seller API"]
        if self.deprecated(path):
            return [f"{path} is deprecated in the Seller API document"]
        return self.problems(path, "request", body, strict=True)

    def response_problems(self, path: str, status: int, body: Any, *, strict: bool = True) -> list[str]:
        return self.problems(path, str(status), body, strict=strict)

    def problems(self, path: str, kind: str, body: Any, *, strict: bool) -> list[str]:
        validator = self._validators.get((path, kind, strict))
        if validator is None:
            schema = (
                self.request_schema(path, strict=strict)
                if kind == "request"
                else self.response_schema(path, int(kind) if kind.isdigit() else 0, strict=strict)
            )
            validator = Draft7Validator(schema if schema is not None else {"type": "object"})
            self._validators[(path, kind, strict)] = validator
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '<body>'}: {error.message}"
            for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
        ]

    # --- schemas -------------------------------------------------------------------------------------

    def resolve(self, schema: Any, *, strict: bool = False) -> Any:
        """``schema`` with every ``$ref`` inlined, placeholder ``pattern``s dropped, and (``strict``)
        ``additionalProperties: false`` on every object that lists its properties."""
        return self._resolve(schema, strict, ())

    def _resolve(self, schema: Any, strict: bool, seen: tuple[str, ...]) -> Any:
        if isinstance(schema, list):
            return [self._resolve(item, strict, seen) for item in schema]
        if not isinstance(schema, dict):
            return schema
        reference = schema.get("$ref")
        if isinstance(reference, str):
            name = "rpcStatus" if reference.endswith(EXTERNAL_RPC_STATUS) else reference.rsplit("/", 1)[-1]
            if name in seen:
                return {}  # a recursive schema: accept anything below the repetition
            return self._resolve(self.schemas[name], strict, (*seen, name))
        resolved: dict[str, Any] = {}
        for key, value in schema.items():
            if key in ("pattern", "example", "description"):
                continue
            if key == "properties" and isinstance(value, dict):
                resolved[key] = {name: self._resolve(part, strict, seen) for name, part in value.items()}
                if strict:
                    resolved["additionalProperties"] = False
            else:
                resolved[key] = self._resolve(value, strict, seen)
        return resolved

    def has_field(self, path: str, dotted: str) -> bool:
        """Whether the 200 answer of ``path`` has the field ``dotted`` (lists are walked through)."""
        node: Any = self.response_schema(path, 200)
        for part in dotted.split("."):
            while isinstance(node, dict) and "items" in node:
                node = node["items"]
            properties = node.get("properties") if isinstance(node, dict) else None
            if not isinstance(properties, dict) or part not in properties:
                return False
            node = properties[part]
        return True

    def _require(self, path: str) -> dict[str, Any]:
        operation = self.operation(path)
        if operation is None:
            raise KeyError(f"{path} is not a method of the Seller API")
        return operation


@cache
def load_contract(path: str | None = None) -> OzonContract:
    """The document, parsed once per process (it is a few megabytes)."""
    source = Path(path) if path else contract_path()
    with source.open(encoding="utf-8") as handle:
        return OzonContract(json.load(handle))
