"""One-line actions on the locally running system (``make run``), for trying a flow without clicking.

``purchase``: a posting for an Ozon ID in the fake Ozon, then the sync, as if the buyer had ordered:
``python -m devtools.local_actions purchase --ozon-id 900000002 --amount 2000``.

``operator``: write in a participant's topic of the operators' group as an operator would, and see what the
participant writes there: ``python -m devtools.local_actions operator --participant 9001`` (lines from
stdin; Ctrl-D quits). The participant gets the message in their chat, as in production.
"""

from __future__ import annotations

import argparse
import html
import itertools
import re
import sys
import time
from typing import Any

import requests

from devtools.local_run import LOCAL_OPERATORS_CHAT, RUNTIME_FILE, Runtime
from devtools.telegram_updates import post_update

_TAG = re.compile(r"<[^>]+>")
_OPERATOR = {"id": 777000111, "is_bot": False, "first_name": "Оператор", "username": "local_operator"}
_message_ids = itertools.count(int(time.time()) % 1_000_000 * 10)


class LocalActionFailed(RuntimeError):
    """The local system is not running or refused the action: the message says what to do."""


def _runtime() -> Runtime:
    if not RUNTIME_FILE.exists():
        raise LocalActionFailed("The local system is not running: start it with `make run` first.")
    return Runtime.read()


def _call(method: str, url: str, **kwargs: Any) -> Any:
    try:
        answer = requests.request(method, url, timeout=120, **kwargs)
    except requests.ConnectionError:
        raise LocalActionFailed(
            f"The local system at {url} does not answer: start it with `make run`."
        ) from None
    if answer.status_code != 200:
        raise LocalActionFailed(f"{url} answered {answer.status_code}: {answer.text[:300]}")
    return answer.json()


def purchase(ozon_id: str, amount: str, status: str = "delivered") -> str:
    """Add the posting in the fake Ozon and run the sync now; returns a readable summary."""
    runtime = _runtime()
    if not runtime.fake_ozon:
        raise LocalActionFailed("The local system talks to the real Seller API: order on Ozon instead.")
    added = _call(
        "POST",
        f"{runtime.gateway}/_local/ozon/postings",
        json={"customer_id": ozon_id, "amount": amount, "status": status},
    )
    synced = _call("POST", f"{runtime.gateway}/_local/run/ozon_sync", json={})
    result = synced.get("result") or {}
    counted = ", ".join(f"{key} {value}" for key, value in sorted(result.items()) if isinstance(value, int))
    posting = added["posting_number"]
    return f"Posting {posting} ({amount} RUB, Ozon ID {ozon_id}) added; sync: {counted or result}"


def topic_of(runtime: Runtime, participant_id: str) -> int | None:
    """The participant's topic in the operators' group: where the bot posted their messages (fake Bot API)."""
    calls = _call("GET", f"{runtime.gateway}/_local/telegram/calls", params={"chat_id": LOCAL_OPERATORS_CHAT})
    for call in calls["calls"]:
        params = call["params"]
        said = str(params.get("text", ""))
        if call["method"] == "sendMessage" and re.search(rf"\bid {re.escape(participant_id)}\b", said):
            thread = params.get("message_thread_id")
            if thread is not None:
                return int(thread)
    return None


def operator_says(runtime: Runtime, thread: int, text: str) -> None:
    update = {
        "update_id": next(_message_ids),
        "message": {
            "message_id": next(_message_ids),
            "from": _OPERATOR,
            "chat": {
                "id": int(LOCAL_OPERATORS_CHAT),
                "title": "Operators",
                "type": "supergroup",
                "is_forum": True,
            },
            "date": int(time.time()),
            "message_thread_id": thread,
            "is_topic_message": True,
            "text": text,
        },
    }
    post_update(runtime.gateway, runtime.webhook_secret, update).raise_for_status()


def topic_messages(runtime: Runtime, thread: int, after: int) -> tuple[list[str], int]:
    """What the bot posted in the topic since ``after`` (the participant's messages, notes), as plain text."""
    calls = _call(
        "GET",
        f"{runtime.gateway}/_local/telegram/calls",
        params={"chat_id": LOCAL_OPERATORS_CHAT, "after": str(after)},
    )
    lines = [
        html.unescape(_TAG.sub("", str(call["params"].get("text") or call["params"].get("caption") or "")))
        for call in calls["calls"]
        if call["params"].get("message_thread_id") == thread
    ]
    return lines, int(calls["next"])


def operator_console(participant_id: str) -> int:
    runtime = _runtime()
    if not runtime.fake_telegram:
        raise LocalActionFailed(
            "The local system talks to the real Telegram: answer in the operators' group."
        )
    thread = topic_of(runtime, participant_id)
    if thread is None:
        raise LocalActionFailed(
            f"Participant {participant_id} has no topic yet: it opens when they first write to the bot "
            f"(make chat USER_ID={participant_id}) or ask for a withdrawal."
        )
    history, seen = topic_messages(runtime, thread, 0)
    print(f"Topic {thread} of participant {participant_id}. Type a reply; Ctrl-D quits.")
    for line in history:
        print(f"[topic] {line}")
    for text in sys.stdin:
        if text.strip():
            operator_says(runtime, thread, text.strip())
            time.sleep(0.3)
        new, seen = topic_messages(runtime, thread, seen)
        for line in new:
            print(f"[topic] {line}", flush=True)
        print(f"(sent to participant {participant_id})", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    actions = parser.add_subparsers(dest="action", required=True)
    bought = actions.add_parser("purchase", help="a posting in the fake Ozon, then the sync")
    bought.add_argument("--ozon-id", required=True)
    bought.add_argument("--amount", default="1000.00")
    bought.add_argument("--status", default="delivered")
    operator = actions.add_parser("operator", help="write in a participant's topic as an operator")
    operator.add_argument("--participant", required=True)
    args = parser.parse_args(argv)
    try:
        if args.action == "purchase":
            print(purchase(args.ozon_id, args.amount, args.status))
            return 0
        return operator_console(args.participant)
    except LocalActionFailed as failed:
        print(failed, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
