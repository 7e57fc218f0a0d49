"""One spelling per destination: what search, the index and the suppression list key by."""

from __future__ import annotations

import pytest

from receipts.destinations import normalise_destination

SPELLINGS = [
    ("+918886661353", "918886661353"),
    ("918886661353", "918886661353"),
    ("tel:+91 888 666 1353", "918886661353"),
    ("+91 (888) 666-1353", "918886661353"),
    ("sms:+918886661353", "918886661353"),
    ("Ana@Example.COM", "ana@example.com"),
    ("mailto:Ana@Example.COM", "ana@example.com"),
    ("mailto: Ana@Example.COM ", "ana@example.com"),
    ("MAILTO:mailto:ana@example.com", "ana@example.com"),
    ("  device-Token-AbC  ", "device-Token-AbC"),
    ("123", "123"),  # too short for a phone number: an opaque id
]


@pytest.mark.parametrize(("spelling", "normalised"), SPELLINGS)
def test_every_spelling_of_a_destination_has_one_form(spelling: str, normalised: str) -> None:
    assert normalise_destination(spelling) == normalised


@pytest.mark.parametrize("spelling", [spelling for spelling, _ in SPELLINGS])
def test_a_normalised_destination_normalises_to_itself(spelling: str) -> None:
    # A stored key's destination is normalised again by whoever reads it (the suppression
    # step reads the event's index key): both must name the same register.
    once = normalise_destination(spelling)
    assert normalise_destination(once) == once
