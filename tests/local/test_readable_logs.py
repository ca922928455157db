"""The local runner's log lines: readable, with the record's own fields, without Lambda's context."""

from __future__ import annotations

import io
import logging

from aws_lambda_powertools import Logger

from devtools.readable_logs import install


def test_a_powertools_log_line_becomes_readable() -> None:
    logger = Logger(service="readable-logs-check", level="WARNING")
    stream = io.StringIO()
    handler = logging.getLogger("readable-logs-check").handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]

    assert install(names=["readable-logs-check"]) == 1
    logger.info("notices delivered after the change", extra={"update_id": 900000002, "notices": 1})
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("bot handler failed", extra={"handler": "_on_text"})

    lines = stream.getvalue().splitlines()
    assert lines[0].endswith(" INFO  notices delivered after the change  update_id=900000002 notices=1")
    assert lines[1].endswith(" ERROR bot handler failed  handler=_on_text")
    assert lines[-1] == "ValueError: boom"
    assert not any(line.startswith("{") for line in lines)
    assert "function_arn" not in stream.getvalue()
