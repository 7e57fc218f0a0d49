"""What a return code means for the message it is reported on."""

from enum import StrEnum


class Classification(StrEnum):
    """How a code (in its channel and delivery status) bears on the message.

    ``failed_transient`` is still a final answer for that message: the platform will not try
    again, but a new send could succeed (busy line, full inbox, rate limit).
    """

    REQUEST_ERROR = "request_error"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    READ = "read"
    FAILED_PERMANENT = "failed_permanent"
    FAILED_TRANSIENT = "failed_transient"
    UNKNOWN = "unknown"

    @property
    def is_failure(self) -> bool:
        return self in (Classification.FAILED_PERMANENT, Classification.FAILED_TRANSIENT)
