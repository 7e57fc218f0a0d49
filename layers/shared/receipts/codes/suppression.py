"""Why a destination is not worth sending to any more: the reasons a suppression names."""

from enum import StrEnum


class SuppressionReason(StrEnum):
    """A permanent failure that says the destination itself is dead, not the message.

    Most permanent failures are about the message or the account (a bad template, no
    credits, a sender id refused): a new send to the same destination may well land, so
    they suppress nothing. Only the failures below tell that no message will reach it.
    """

    INVALID_ADDRESS = "invalid_address"
    PERMANENT_BOUNCE = "permanent_bounce"
    COMPLAINT = "complaint"
    UNSUBSCRIBED = "unsubscribed"
    NOT_VERIFIED = "not_verified"
    UNREGISTERED_DEVICE = "unregistered_device"
