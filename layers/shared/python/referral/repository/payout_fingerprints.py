"""Who gave which payout details, by keyed fingerprint: the input of the shared payout signal.

* ``PAYFP#<fingerprint>`` / ``P#<participant id>``: one item per (fingerprint, participant), written once
  (a conditional put), so a redelivered message or a request paid again counts nobody twice. It keeps the
  kind, the last four digits and where the details were first seen; never the details.

Written after the change it watches has committed, never inside a money transaction.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError

from referral.clock import to_iso
from referral.domain.payout_details import PayoutFingerprint
from referral.repository import keys
from referral.repository.changes import is_condition_failure
from referral.repository.models import Entity

SHARERS_READ = 1000
"""Most participants one look-up reads: far above any sensible threshold."""


class PayoutSharerItem(Entity, discriminator="payout_sharer"):
    """``PAYFP#<fingerprint>`` / ``P#<participant id>``: a participant gave details with this fingerprint."""

    participant_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    last4 = UnicodeAttribute(null=True)
    first_seen_at = UnicodeAttribute()
    source = UnicodeAttribute()
    """Where they were first seen: ``tg:<update id>`` (the dialog) or ``withdrawal:<id>`` (a payout)."""


class PayoutFingerprintRepository:
    @staticmethod
    def join(fingerprint: PayoutFingerprint, participant_id: str, source: str, at: datetime) -> list[str]:
        """Record that ``participant_id`` gave these details (once); everyone who gave them, sorted."""
        item = PayoutSharerItem(
            keys.payout_fingerprint_pk(fingerprint.value),
            keys.payout_sharer_sk(participant_id),
            participant_id=participant_id,
            kind=fingerprint.kind.value,
            last4=fingerprint.last4,
            first_seen_at=to_iso(at),
            source=source,
        )
        try:
            item.save(condition=PayoutSharerItem.pk.does_not_exist())
        except PutError as error:
            if not is_condition_failure(error):
                raise
        return PayoutFingerprintRepository.sharers(fingerprint.value)

    @staticmethod
    def sharers(fingerprint: str) -> list[str]:
        found = PayoutSharerItem.query(
            keys.payout_fingerprint_pk(fingerprint),
            PayoutSharerItem.sk.startswith(keys.PAYOUT_SHARER_PREFIX),
            limit=SHARERS_READ,
        )
        return sorted({item.participant_id for item in found})
