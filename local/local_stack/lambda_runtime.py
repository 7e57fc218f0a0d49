"""Run a template function's real handler in-process, as Lambda would call it.

The handler is imported lazily from the template's ``Handler`` string on first use (and
again after a failed import, so a handler that appears later is picked up without a
restart). The context object carries what Powertools reads from a Lambda context.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local_stack.functions import FunctionSpec

LOGGER = logging.getLogger("local_stack.lambda")

Handler = Callable[[Any, Any], Any]

# In Lambda each function runs in processes of its own; here they share one, and Powertools
# keeps its metric state at class level (shared by every function) without a lock. So
# invocations run one at a time, as in a single execution environment per function.
_INVOCATION_LOCK = threading.Lock()


@dataclass
class LambdaContext:
    """The attributes and method of the Lambda context object that handlers use."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    region: str
    account_id: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[{self.function_version}]{self.aws_request_id[:8]}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class HandlerUnavailableError(RuntimeError):
    """The template's handler cannot be imported (yet)."""


@dataclass
class Invocation:
    result: Any
    duration_ms: float
    request_id: str


class LocalFunction:
    """One function of the template, invoked in this process."""

    def __init__(
        self,
        spec: FunctionSpec,
        *,
        function_name: str,
        region: str,
        account_id: str,
        handler: Handler | None = None,
    ) -> None:
        self.spec = spec
        self.function_name = function_name
        self._region = region
        self._account_id = account_id
        self._handler = handler
        self._lock = threading.Lock()

    def handler(self) -> Handler:
        if self._handler is not None:
            return self._handler
        with self._lock:
            if self._handler is None:
                try:
                    module = importlib.import_module(self.spec.module_name)
                    self._handler = getattr(module, self.spec.attribute_name)
                except (ImportError, AttributeError) as error:
                    raise HandlerUnavailableError(
                        f"{self.spec.logical_id}: cannot load handler {self.spec.handler!r}: "
                        f"{error}"
                    ) from error
            return self._handler

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.function_name,
            memory_limit_in_mb=self.spec.memory_mb,
            timeout_seconds=self.spec.timeout_seconds,
            region=self._region,
            account_id=self._account_id,
        )

    def invoke(self, event: Any) -> Invocation:
        """Call the handler; exceptions propagate, as Lambda reports them to the caller."""
        handler = self.handler()
        context = self.context()
        started = time.perf_counter()
        try:
            with _INVOCATION_LOCK:
                result = handler(event, context)
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            if duration_ms > self.spec.timeout_seconds * 1000:
                LOGGER.warning(
                    "%s ran %.0f ms, over its %d s timeout: Lambda would have stopped it",
                    self.spec.logical_id,
                    duration_ms,
                    self.spec.timeout_seconds,
                )
        return Invocation(result=result, duration_ms=duration_ms, request_id=context.aws_request_id)
