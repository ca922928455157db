"""The streams the sync reads the Seller API in, and the metric each reports its progress with.

Kept free of heavy imports: the infrastructure code names one alarm per stream from here.
"""

from __future__ import annotations

FBS_CREATED = "fbs-created"
FBS_CHANGED = "fbs-changed"
FBO_STREAM = "fbo"
RETURNS_STREAM = "returns"
STREAMS = (FBS_CREATED, FBS_CHANGED, FBO_STREAM, RETURNS_STREAM)


def stream_metric(stream: str) -> str:
    """Per run: 1 when the stream progressed, 0 when it failed; nothing when the run did not reach it."""
    return f"SyncStreamSucceeded-{stream}"
