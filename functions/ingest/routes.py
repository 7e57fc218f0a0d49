"""``/callbacks`` over HTTP API (payload v2): the POST that ingests, the HEAD/GET probes.

Routed by method here rather than by Powertools' HTTP resolver: on this single-route
webhook the resolver adds 20-45 ms of cold start (``benchmarks/bench_ingest.py``) for a
dispatch that is one comparison, and a cold start is paid inside the platform's 10 s budget.
"""

from __future__ import annotations

import base64
import binascii
import random
import traceback
import uuid
from collections.abc import Mapping
from typing import Any

from ingest.dependencies import IngestDependencies, default_dependencies
from ingest.errors import (
    AuthenticationFailedError,
    CallbackRejectedError,
    ConfigurationError,
    MethodNotAllowedError,
    QuarantineUnavailableError,
    SecretUnavailableError,
    StoreRefusedWriteError,
)
from ingest.observability import (
    Metric,
    RandomSource,
    count,
    ensure_metrics_namespace,
    logger,
    sampled,
)
from ingest.responses import HttpResponse, error_response, probe_response, result_response
from ingest.service import CallbackRequest, IngestResult
from ingest.settings import get_settings
from receipts.storage import StoreUnavailableError

PROBE_METHODS = frozenset({"GET", "HEAD"})


def handle_event(
    event: Mapping[str, Any],
    dependencies: IngestDependencies | None = None,
    *,
    draw: RandomSource = random.random,
) -> HttpResponse:
    """Answer one HTTP API event; never raises, never answers a stack trace.

    ``draw`` decides which accepted callbacks are logged at INFO (tests fix it)."""
    ensure_metrics_namespace()
    method = _method(event)
    try:
        if method in PROBE_METHODS:
            return _probe(method, dependencies)
        if method == "POST":
            return _callback(event, dependencies or default_dependencies(), draw)
        raise MethodNotAllowedError(f"{method or 'this method'} is not served on /callbacks")
    except Exception as error:  # the one place where failures become answers
        _record_failure(error)
        return error_response(error)


def _probe(method: str, dependencies: IngestDependencies | None) -> HttpResponse:
    # A misconfigured stack fails the console's probe, so the webhook cannot be saved in a
    # state where every callback would be refused. Nothing is read from AWS, nothing written.
    if dependencies is None:
        get_settings()
    count(Metric.PROBES)
    return probe_response(method)


def _callback(
    event: Mapping[str, Any], dependencies: IngestDependencies, draw: RandomSource
) -> HttpResponse:
    request = CallbackRequest(
        body=request_body(event),
        headers=request_headers(event),
        request_id=_request_id(event),
        received_at=dependencies.clock(),
    )
    logger.append_keys(api_request_id=request.request_id)
    result = dependencies.ingestor.ingest(request)
    _record_result(result, dependencies.settings.accepted_log_sample_rate, draw)
    return result_response(result)


def _record_result(result: IngestResult, log_sample_rate: float, draw: RandomSource) -> None:
    event = result.event
    logger.set_correlation_id(event.transid)
    count(Metric.CALLBACKS)
    count(Metric.ACCEPTED if result.stored else Metric.DUPLICATES)
    if not result.code_is_known:
        count(Metric.UNKNOWN_CODES)
    # The table already holds every callback and the counters count them all, so a line per
    # callback at INFO would pay CloudWatch Logs for a third copy: a sample shows the traffic.
    log = logger.info if sampled(log_sample_rate, draw) else logger.debug
    log(
        "callback stored" if result.stored else "callback already stored",
        extra={
            "outcome": result.status,
            "channel": event.channel.value,
            "status": event.status.value,
            "code": event.raw_code,
            "classification": event.classification.value,
            "alert": result.stored and event.is_failure,
        },
    )


def _record_failure(error: Exception) -> None:
    """Log and count a failure; the log never carries a secret or a presented credential."""
    if isinstance(error, AuthenticationFailedError):
        count(Metric.AUTH_FAILURES)
        logger.warning(
            "callback authentication failed", extra={"reason": error.reason, "header": error.field}
        )
    elif isinstance(error, CallbackRejectedError):
        count(Metric.REJECTED)
        count(Metric.QUARANTINED)
        logger.warning(
            "callback rejected and quarantined",
            extra={"error_code": error.code, "field": error.field, "reason": error.message},
        )
        if error.__cause__ is not None:
            count(Metric.PARSER_ERRORS)
            _log_parser_failure(error.__cause__)
    elif isinstance(error, StoreUnavailableError | QuarantineUnavailableError):
        count(Metric.STORE_UNAVAILABLE)
        logger.warning(
            "events table unavailable; answered 503 for a retry", extra={"error": str(error)}
        )
    elif isinstance(error, SecretUnavailableError):
        count(Metric.SECRET_UNAVAILABLE)
        logger.warning("callback secret unavailable; answered 503 for a retry", exc_info=error)
    elif isinstance(error, ConfigurationError | StoreRefusedWriteError):
        count(Metric.CONFIGURATION_ERRORS)
        logger.error(
            "the webhook is misconfigured and refuses callbacks",
            extra={"problem": error.message, "setting": error.field},
            exc_info=error.__cause__,
        )
    elif isinstance(error, MethodNotAllowedError):
        count(Metric.OTHER_METHODS)
        logger.info("method not served", extra={"error_code": error.code})
    else:
        count(Metric.INTERNAL_ERRORS)
        logger.exception("unexpected failure", exc_info=error)


def _log_parser_failure(cause: BaseException) -> None:
    """The failure's type and where it was raised, without its message: a parser's message
    may quote the body (a push id, a destination). The body is in the quarantine under this
    request's id, so the failure can be reproduced from it."""
    logger.error(
        "the notification parser failed on a body",
        extra={
            "exception_type": type(cause).__name__,
            "raised_at": "".join(traceback.format_tb(cause.__traceback__)),
        },
    )


def _method(event: Mapping[str, Any]) -> str:
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, Mapping) else None
    method = http.get("method") if isinstance(http, Mapping) else None
    return method.upper() if isinstance(method, str) else ""


def _request_id(event: Mapping[str, Any]) -> str:
    context = event.get("requestContext")
    request_id = context.get("requestId") if isinstance(context, Mapping) else None
    return request_id if isinstance(request_id, str) and request_id else uuid.uuid4().hex


def request_body(event: Mapping[str, Any]) -> bytes:
    """The body's bytes as the platform sent them (HTTP API base64-encodes binary ones)."""
    body = event.get("body")
    if body is None:
        return b""
    text = body if isinstance(body, str) else str(body)
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            # API Gateway never sends this; kept as text so the body is still quarantined.
            pass
    return text.encode("utf-8", "surrogatepass")


def request_headers(event: Mapping[str, Any]) -> dict[str, str]:
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return {}
    return {str(name).lower(): str(value) for name, value in headers.items()}
