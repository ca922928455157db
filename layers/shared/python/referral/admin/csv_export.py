"""CSV files as an accountant's spreadsheet opens them: every export's one writer.

* UTF-8 with a byte order mark, so Excel reads Cyrillic without an import dialog.
* ``;`` between cells (what Excel expects where the decimal separator is a comma, as in Russia), or
  ``,`` with ``delimiter=comma``; with ``;`` amounts are written with a decimal comma, so they are
  numbers there.
* Every cell quoted; a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  gets a leading ``'`` (OWASP's advice on CSV injection), so no cell can become a formula.
* The header row in the operator's language (``lang=ru|en``, else the Accept-Language header, else
  Russian); a column without words keeps its machine name.
* Times in the program's time zone (``PROGRAM_TIMEZONE``): ``datetime`` values and ISO timestamps.

An export hands ``write`` a ``Table`` (``referral.read.exports``) and gets all of this.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from referral.clock import from_iso
from referral.errors import InvalidInput
from referral.read.exports import Table
from referral.telegram.texts import program_timezone

BOM = "\ufeff"
DELIMITERS = {"semicolon": ";", "comma": ","}
LANGS = ("ru", "en")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may take for the start of a formula (OWASP, CSV injection)."""

_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

HEADER_WORDS: dict[str, tuple[str, str]] = {
    "number": ("Номер заявки", "Request number"),
    "withdrawal_id": ("ID заявки", "Request ID"),
    "participant_name": ("Имя участника", "Participant name"),
    "points": ("Баллы", "Points"),
    "rubles": ("Рубли", "Rubles"),
    "point_rate": ("Курс, ₽ за балл", "Rate, RUB per point"),
    "payout_method": ("Способ выплаты", "Payout method"),
    "payout_details": ("Реквизиты (маскированы)", "Details (masked)"),
    "payout_reference": ("Номер платежа", "Payment reference"),
    "operator_id": ("ID оператора", "Operator ID"),
    "operator_name": ("Оператор", "Operator"),
    "requested_at": ("Дата заявки", "Requested at"),
    "closed_at": ("Дата закрытия", "Closed at"),
    "participant_id": ("ID участника", "Participant ID"),
    "name": ("Имя", "Name"),
    "username": ("Username в Telegram", "Telegram username"),
    "registered_at": ("Дата регистрации", "Registered at"),
    "sponsor_id": ("ID пригласившего", "Sponsor ID"),
    "sponsor_name": ("Пригласивший", "Sponsor"),
    "sponsor_username": ("Username пригласившего", "Sponsor's username"),
    "marketplace": ("Маркетплейс", "Marketplace"),
    "scheme": ("Схема", "Scheme"),
    "posting_number": ("Номер отправления", "Posting number"),
    "order_number": ("Номер заказа", "Order number"),
    "created_at": ("Дата заказа", "Ordered at"),
    "status": ("Статус", "Status"),
    "amount": ("Сумма, ₽", "Amount, RUB"),
    "kept_amount": ("Сумма без возвратов, ₽", "Amount kept, RUB"),
    "attribution": ("Как привязан", "Attribution"),
    "referrals_brought": ("Приглашено за период", "Referrals brought"),
    "referrals_bought": ("Рефералов с покупками", "Referrals who bought"),
    "referrals_purchases_sum": ("Сумма покупок рефералов, ₽", "Referrals' purchases, RUB"),
}
"""Column → its header in Russian and English."""


@dataclass(frozen=True, slots=True)
class CsvFormat:
    delimiter: str = ";"
    lang: str = "ru"
    zone: tzinfo | None = None

    @property
    def decimal_comma(self) -> bool:
        return self.delimiter == ";"


def format_of(query: dict[str, str] | None, accept_language: str | None) -> CsvFormat:
    """The format a request asks for (``delimiter``, ``lang``); a value not offered is a 422."""
    query = query or {}
    delimiter = query.get("delimiter") or "semicolon"
    if delimiter not in DELIMITERS:
        raise InvalidInput(
            "delimiter must be semicolon or comma.", details={"delimiter": delimiter}, reason="bad_delimiter"
        )
    lang = query.get("lang") or _preferred(accept_language)
    if lang not in LANGS:
        raise InvalidInput("lang must be ru or en.", details={"lang": lang}, reason="bad_lang")
    return CsvFormat(DELIMITERS[delimiter], lang, program_timezone())


def _preferred(accept_language: str | None) -> str:
    first = (accept_language or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "ru"


def inert(text: str) -> str:
    """Text a spreadsheet shows as it is, never as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Any, fmt: CsvFormat) -> str:
    """One value as its cell: numbers and times formatted, text made inert."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("да" if value else "нет") if fmt.lang == "ru" else ("yes" if value else "no")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.replace(".", ",") if fmt.decimal_comma else text
    if isinstance(value, datetime):
        return _moment(value, fmt)
    text = str(value)
    if _ISO_TIME.match(text):
        return _moment(from_iso(text), fmt)
    return inert(text)


def _moment(value: datetime, fmt: CsvFormat) -> str:
    local = value.astimezone(fmt.zone or program_timezone())
    return local.strftime("%d.%m.%Y %H:%M:%S" if fmt.lang == "ru" else "%Y-%m-%d %H:%M:%S")


def header(column: str, fmt: CsvFormat) -> str:
    words = HEADER_WORDS.get(column)
    return inert(words[0] if fmt.lang == "ru" else words[1]) if words else inert(column)


def write(table: Table, fmt: CsvFormat) -> str:
    """The whole part as text: the BOM, the header row, the rows; every cell quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=fmt.delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([header(column, fmt) for column in table.header])
    writer.writerows([[cell(value, fmt) for value in row] for row in table.rows])
    return BOM + buffer.getvalue()
