"""Log lines a person reads in the local runner's terminal, instead of Lambda's one-JSON-object-per-line.

``12:04:05 INFO  notices delivered after the change  update_id=900000002 notices=1 sent=1``: the time, the
level, the message and the record's own fields; Lambda's context fields (function name, ARN, cold start) are
left out, they say nothing locally. A failure's traceback follows its line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_LAMBDA_CONTEXT = {
    "cold_start",
    "function_name",
    "function_memory_size",
    "function_arn",
    "function_request_id",
    "correlation_id",
    "xray_trace_id",
    "service",
    "location",
    "timestamp",
}


class ReadableFormatter(LambdaPowertoolsFormatter):
    """Powertools' formatter (the Logger appends its keys through it) with a line a person reads."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {
            key: value
            for key, value in vars(record).items()
            if key not in _STANDARD and key not in _LAMBDA_CONTEXT and not key.startswith("_")
        }
        extra = fields.pop("extra", None)
        if isinstance(extra, dict):
            fields.update(extra)
        moment = time.strftime("%H:%M:%S", time.localtime(record.created))
        line = f"{moment} {record.levelname:<5} {record.getMessage()}"
        if fields:
            line += "  " + " ".join(f"{key}={_shown(value)}" for key, value in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _shown(value: Any) -> str:
    text = str(value)
    return f'"{text}"' if " " in text else text


def install(level: int = logging.INFO, names: Iterable[str] | None = None) -> int:
    """Give every handler of the loggers ``names`` (all of them by default: the functions' Powertools JSON
    ones among them) the readable format; returns how many handlers were changed. Call it after the
    functions are loaded, when their loggers exist."""
    changed = 0
    chosen = list(logging.root.manager.loggerDict) if names is None else list(names)
    for logger in [logging.getLogger(name) for name in chosen]:
        for handler in logger.handlers:
            handler.setFormatter(ReadableFormatter())
            changed += 1
        if logger.handlers and logger.level > level:
            logger.setLevel(level)
    return changed
