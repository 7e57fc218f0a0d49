"""The one error type for input that is not a delivery notification at all."""


class NotificationValidationError(ValueError):
    """The body is not a notification; ``field`` names what is wrong (None: the whole body).

    ``code`` is a short machine-readable reason: ``invalid_json``, ``invalid_shape`` or
    ``missing_field``.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid_shape"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
