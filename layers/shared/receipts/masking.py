"""Masking of phone numbers and email addresses before anything is logged or alerted."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)*)")
# A phone number is a run of 7-15 digits, optionally after '+', not part of a longer token
# (transids, timestamps and ISO dates have hyphens, colons or letters around their digits).
_PHONE = re.compile(r"(?<![\w.:/-])(\+?)(\d{3,11})(\d{4})(?![\w.:/-])")


def mask_email(value: str) -> str:
    # Every log line passes here; most hold no "@", and the scan costs ~25 us on one.
    if "@" not in value:
        return value
    return _EMAIL.sub(lambda match: f"{match.group(1)}***@{match.group(2)}", value)


def mask_phone_numbers(value: str) -> str:
    return _PHONE.sub(
        lambda match: f"{match.group(1)}{'*' * len(match.group(2))}{match.group(3)}", value
    )


def mask_text(value: str) -> str:
    """Mask every email address and phone number found in free text."""
    return mask_phone_numbers(mask_email(value))


def mask_destination(destination: str) -> str:
    """Mask one destination, whatever its type: emails and numbers keep a hint, ids a prefix."""
    if not destination:
        return destination
    masked = mask_text(destination)
    if masked != destination:
        return masked
    # Push tokens, PSIDs and customer ids identify a person too: keep only a short prefix.
    visible = min(4, len(destination) // 4)
    return destination[:visible] + "*" * min(8, len(destination) - visible)
