"""A Lambda context for invoking handlers in tests: what Powertools' decorators read.

Each suite names its function and time left with ``functools.partial`` over this one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FakeLambdaContext:
    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "request-1"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "test"
    remaining_millis: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis
