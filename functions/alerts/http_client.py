"""HTTP POST to webhooks with urllib3: short timeouts, bounded retries, a hard deadline.

The function has 30 s for a batch of ten records and several targets, so a slow webhook
must not eat the whole budget: every attempt is cut to the time left before ``deadline``,
and nothing is retried once that time is gone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

from alerts.errors import TargetError, TargetRefusedError

if TYPE_CHECKING:
    import urllib3

# Statuses a later attempt may get past: timeouts, rate limits, a server having a bad moment.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


# Answers no retry and no fix on this side can get past: the webhook or its channel is gone
# (404, 410: Slack's no_service, channel_is_archived), or it rejects this very body (400,
# 413, 422). Retrying would only hold back the batch and the storm digests until the
# dead-letter queue. 401 and 403 are not among them: a rotated signing secret or a new
# webhook URL cures them, and the alerts held in the dead-letter queue meanwhile can then be
# redriven; given up, they would be lost for that target.
REFUSED_FOR_GOOD_STATUSES = frozenset({400, 404, 410, 413, 422})


def refuses_for_good(status: int) -> bool:
    """A 4xx that the same request would get again, whatever is retried or fixed here."""
    return status in REFUSED_FOR_GOOD_STATUSES


USER_AGENT = "imiconnect-receipts-alerts"
# Shorter than this and an attempt cannot even connect: give the time back instead.
MINIMUM_ATTEMPT_SECONDS = 0.5
ERROR_BODY_LIMIT = 200


class HttpPoster(Protocol):
    def post(
        self, target: str, url: str, body: bytes, headers: Mapping[str, str], deadline: float
    ) -> None:
        """POST ``body``; return on 2xx, raise :class:`TargetError` otherwise."""


def _short(body: bytes) -> str:
    text = body[:ERROR_BODY_LIMIT].decode("utf-8", "replace")
    return " ".join(text.split())


class Urllib3Poster:
    def __init__(
        self,
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
        max_attempts: int = 3,
        backoff_seconds: float = 0.25,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._max_attempts = max_attempts
        self._backoff_seconds = backoff_seconds
        self._monotonic = monotonic
        self._sleep = sleep

    @cached_property
    def _pool(self) -> urllib3.PoolManager:
        import urllib3

        # Retries are this class's own loop, so each attempt can be fitted to the deadline.
        return urllib3.PoolManager(num_pools=4, maxsize=2, retries=False)

    def post(
        self, target: str, url: str, body: bytes, headers: Mapping[str, str], deadline: float
    ) -> None:
        import urllib3

        request_headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **headers,
        }
        last_reason = "no attempt fitted in the time left"
        for attempt in range(1, self._max_attempts + 1):
            left = deadline - self._monotonic()
            if left < MINIMUM_ATTEMPT_SECONDS:
                break
            timeout = urllib3.Timeout(
                connect=min(self._connect_timeout, left),
                read=min(self._read_timeout, left),
                total=left,
            )
            try:
                response = self._pool.request(
                    "POST",
                    url,
                    body=body,
                    headers=request_headers,
                    timeout=timeout,
                    redirect=False,
                    retries=False,
                )
            except urllib3.exceptions.HTTPError as error:
                last_reason = f"attempt {attempt}: {type(error).__name__}"
            else:
                if 200 <= response.status < 300:
                    return
                last_reason = f"attempt {attempt}: HTTP {response.status} {_short(response.data)}"
                if refuses_for_good(response.status):
                    raise TargetRefusedError(target, last_reason.strip())
                if response.status not in RETRYABLE_STATUSES:
                    # A redirect is not followed (the signed body must not go elsewhere) nor
                    # given up: a moved webhook is fixed in the secret, then the record redriven.
                    # The same for a 401 or 403: a rotated secret or URL, then a redrive.
                    raise TargetError(target, last_reason.strip(), retryable=False)
            pause = self._backoff_seconds * 2 ** (attempt - 1)
            if attempt < self._max_attempts and deadline - self._monotonic() > pause:
                self._sleep(pause)
        raise TargetError(target, last_reason.strip())
