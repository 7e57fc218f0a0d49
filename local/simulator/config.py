"""The simulator's settings, with the platform's behaviour as the defaults.

Delivery follows the platform: 10 s timeout per callback and 3 retries, then the
notification is dropped. Only the retry interval is shorter by default (2 s rather than
about 60 s), so a local outage and its recovery take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

QUIRK_NAMES = ("spelling", "timestamps", "out-of-order", "duplicates", "multi-device")


@dataclass(frozen=True)
class Quirks:
    """The platform's habits, each on by default as the real platform has them."""

    spelling: bool = True  # Submitted / Submited / Submit, Un-Delivered, ANSWERED
    timestamps: bool = True  # no zone, "Z", "2016-07-22 15:26:34"
    out_of_order: bool = True  # a later status posted before an earlier one
    duplicates: bool = True  # the same notification posted twice
    multi_device: bool = True  # a push to a customer fans out to suffixed transids

    @classmethod
    def none(cls) -> Quirks:
        return cls(False, False, False, False, False)

    @classmethod
    def parse(cls, text: str) -> Quirks:
        """``"all"``, ``"none"`` or a comma-separated list of :data:`QUIRK_NAMES`."""
        wanted = {part.strip().lower() for part in text.split(",") if part.strip()}
        if wanted in ({"all"}, set()):
            return cls()
        if wanted == {"none"}:
            return cls.none()
        unknown = wanted - set(QUIRK_NAMES)
        if unknown:
            raise ValueError(
                f"unknown quirk(s) {sorted(unknown)}; choose from {', '.join(QUIRK_NAMES)}"
            )
        return cls(
            spelling="spelling" in wanted,
            timestamps="timestamps" in wanted,
            out_of_order="out-of-order" in wanted,
            duplicates="duplicates" in wanted,
            multi_device="multi-device" in wanted,
        )

    def names(self) -> list[str]:
        flags = (
            self.spelling,
            self.timestamps,
            self.out_of_order,
            self.duplicates,
            self.multi_device,
        )
        return [name for name, on in zip(QUIRK_NAMES, flags, strict=True) if on]


@dataclass(frozen=True)
class Rates:
    """How often each outcome and quirk happens, per destination."""

    failure: float = 0.2
    read: float = 0.5
    duplicate: float = 0.2
    out_of_order: float = 0.3
    multi_device: float = 0.4

    def __post_init__(self) -> None:
        for name in ("failure", "read", "duplicate", "out_of_order", "multi_device"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"rate {name} must be between 0 and 1, not {value}")


@dataclass(frozen=True)
class DeliveryPolicy:
    timeout_seconds: float = 10.0
    max_retries: int = 3
    # Wait before retry n is retry_intervals[n-1] (the last one repeats).
    retry_intervals: tuple[float, ...] = (2.0,)
    concurrency: int = 8

    def interval_before_retry(self, retry_number: int) -> float:
        index = min(max(retry_number, 1), len(self.retry_intervals)) - 1
        return self.retry_intervals[index]


@dataclass(frozen=True)
class Signing:
    """How callbacks are signed: the ``x-hub-signature`` HMAC of the raw body."""

    secret: str | None = None
    algorithm: str = "sha256"  # sha256, sha512 (sha1 only for old configurations)
    prefix: bool = False  # "sha256=<hex>" instead of "<hex>"
    header: str = "x-hub-signature"


@dataclass(frozen=True)
class SimulatorConfig:
    # Where callbacks go unless a send request names its own ``notifyurl``.
    webhook_url: str | None = None
    # Service keys accepted in the ``key`` header, each naming its service.
    service_keys: dict[str, str] = field(default_factory=lambda: {"local-service-key": "local"})
    signing: Signing = field(default_factory=Signing)
    # Further headers on every callback (Basic auth or an API key, for the other auth modes).
    callback_headers: dict[str, str] = field(default_factory=dict)
    quirks: Quirks = field(default_factory=Quirks)
    rates: Rates = field(default_factory=Rates)
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    # Multiplies every lifecycle delay: 1.0 takes a few seconds per message, 0.05 is instant.
    pace: float = 1.0
    seed: int | None = None
    max_destinations: int = 1000
    client_id: str = "412"

    def with_changes(self, **changes: object) -> SimulatorConfig:
        return replace(self, **changes)  # type: ignore[arg-type]
