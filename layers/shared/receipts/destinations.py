"""One spelling per destination, so a search finds a transaction however it was written.

The platform and the clients that search write a phone number in several ways:
``+918886661353``, ``918886661353``, ``tel:+91 888 666 1353``, ``+91 (888) 666-1353``. They
all mean one number, so a number keeps only its digits. An email address is matched without
regard to case (what mail providers do, whatever the standard allows). Anything else (push
ids, PSIDs, customer ids) is an opaque id whose case matters and is kept as it is, trimmed.
"""

from __future__ import annotations

import re

# A phone number: an optional tel:/sms: scheme, an optional '+', then 7-15 digits with the
# spaces, dots, hyphens and parentheses people write between them.
_PHONE_NUMBER = re.compile(r"(?:(?:tel|sms):)?\s*\+?[0-9\s().-]+", re.IGNORECASE | re.ASCII)
_DIGIT = re.compile(r"[0-9]")
_MIN_DIGITS, _MAX_DIGITS = 7, 15
_MAILTO = "mailto:"


def normalise_destination(destination: str) -> str:
    """The form destinations are indexed and searched by.

    Idempotent: a normalised destination (a stored key's, say) normalises to itself, so
    code that normalises what another part normalised already finds the same key.
    """
    value = destination.strip()
    if _PHONE_NUMBER.fullmatch(value):
        digits = "".join(_DIGIT.findall(value))
        if _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
            return digits
    if "@" in value:
        address = value.lower()
        while address.startswith(_MAILTO):
            address = address.removeprefix(_MAILTO).strip()
        return address
    return value
