"""The key of the payout details' fingerprints: a Secrets Manager secret, read once per container.

The stack creates the secret with a generated value and gives the functions that fingerprint payout
details (the bot, the admin API) its ARN in ``PAYOUT_FINGERPRINT_KEY_ARN`` and the right to read it.
Without the variable, or when the secret cannot be read, the shared payout signal is off: a warning is
logged and the health check says so, and everything else (relays, withdrawals, payouts) works as before.
The key's value never reaches a log line, an answer or the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger

from referral.config import Settings
from referral.domain.payout_details import PayoutFingerprinter

logger = Logger(child=True)

VARIABLE = "PAYOUT_FINGERPRINT_KEY_ARN"
KEY_CACHE_SECONDS = 3600
"""The key never changes while a container lives: one read at its start, cached by Powertools."""

NOT_CONFIGURED = "payout_key_not_configured"
UNREADABLE = "payout_key_unreadable"
WEAK = "payout_key_weak"


@dataclass(frozen=True, slots=True)
class PayoutKeyState:
    """The fingerprinter, or why there is none (a problem code the health check reports)."""

    fingerprinter: PayoutFingerprinter | None
    problem: str | None = None


def read_payout_key(secret_id: str | None) -> PayoutKeyState:
    """Fetch the key through Powertools parameters (cached); never raises."""
    if not secret_id:
        return PayoutKeyState(None, NOT_CONFIGURED)
    try:
        from aws_lambda_powertools.utilities import parameters

        value = parameters.get_secret(secret_id, max_age=KEY_CACHE_SECONDS)
    except Exception as error:  # the error names the secret at most, never its value
        logger.warning("payout fingerprint key not readable", extra={"error": type(error).__name__})
        return PayoutKeyState(None, UNREADABLE)
    key = value.strip().encode() if isinstance(value, str) else b""
    try:
        return PayoutKeyState(PayoutFingerprinter(key))
    except ValueError:
        return PayoutKeyState(None, WEAK if key else UNREADABLE)


class PayoutKeySettings(Settings):
    """``PAYOUT_FINGERPRINT_KEY_ARN``: where the key is; optional (without it the signal is off)."""

    payout_fingerprint_key_arn: str | None = None

    def payout_fingerprinter(self) -> PayoutFingerprinter | None:
        """The fingerprinter for this container's services; None (logged as a warning) turns the shared
        payout signal off and nothing else."""
        state = read_payout_key(self.payout_fingerprint_key_arn)
        if state.problem is not None:
            logger.warning(
                "shared payout signal is off: no payout fingerprint key",
                extra={"problem": state.problem, "variable": VARIABLE},
            )
        return state.fingerprinter
