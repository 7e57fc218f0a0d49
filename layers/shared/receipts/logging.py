"""A Powertools logger whose every line has phone numbers and emails masked."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import PowertoolsLogRecord

from receipts.masking import mask_text


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Masks the serialised line, so nothing logged can leak a destination by accident."""

    def serialize(self, log: dict[str, Any] | PowertoolsLogRecord) -> str:
        return mask_text(super().serialize(log))


def build_logger(service: str) -> Logger:
    return Logger(service=service, logger_formatter=MaskingFormatter())
