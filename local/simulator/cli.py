"""Command-line options of the simulator, shared by ``python -m simulator`` and the stack."""

from __future__ import annotations

import argparse
import os

from simulator.config import DeliveryPolicy, Quirks, Rates, Signing, SimulatorConfig


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a rate is between 0 and 1")
    return value


def _intervals(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("seconds, or a comma-separated list of them") from None
    if not values or any(value < 0 for value in values):
        raise argparse.ArgumentTypeError("seconds, or a comma-separated list of them")
    return values


def _quirks(text: str) -> Quirks:
    try:
        return Quirks.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_behaviour_arguments(parser: argparse.ArgumentParser) -> None:
    """How the simulated platform behaves: outcomes, quirks, pace and retries."""
    group = parser.add_argument_group("simulated platform")
    group.add_argument(
        "--seed", type=int, default=None, help="seed for repeatable runs (default: random)"
    )
    group.add_argument(
        "--pace",
        type=float,
        default=1.0,
        help="multiplies every lifecycle delay; 0.05 makes callbacks near-instant (default 1)",
    )
    group.add_argument(
        "--failure-rate", type=_rate, default=0.2, help="share of failed deliveries (default 0.2)"
    )
    group.add_argument(
        "--read-rate", type=_rate, default=0.5, help="share of reads where the channel has them"
    )
    group.add_argument(
        "--duplicate-rate", type=_rate, default=0.2, help="share of deliveries posted twice"
    )
    group.add_argument(
        "--out-of-order-rate",
        type=_rate,
        default=0.3,
        help="share of deliveries with a status posted late",
    )
    group.add_argument(
        "--quirks",
        type=_quirks,
        default=Quirks(),
        help="all (default), none, or a list of: spelling,timestamps,out-of-order,duplicates,"
        "multi-device",
    )
    group.add_argument(
        "--retry-interval",
        type=_intervals,
        default=(2.0,),
        help="seconds before each retry of a failed callback, e.g. 2 or 30,60,120 "
        "(the platform waits about 60; default 2)",
    )
    group.add_argument(
        "--max-retries", type=int, default=3, help="retries before a callback is dropped (3)"
    )
    group.add_argument(
        "--callback-timeout", type=float, default=10.0, help="seconds per callback (10)"
    )


def add_signing_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("callback signature")
    group.add_argument(
        "--signature-algorithm",
        choices=("sha256", "sha512", "sha1"),
        default="sha256",
        help="HMAC of x-hub-signature (default sha256)",
    )
    group.add_argument(
        "--signature-prefix",
        action="store_true",
        help="write x-hub-signature as 'sha256=<hex>' rather than '<hex>'",
    )


def config_from_arguments(
    args: argparse.Namespace,
    *,
    webhook_url: str | None,
    service_keys: dict[str, str],
    hub_secret: str | None,
    callback_headers: dict[str, str] | None = None,
) -> SimulatorConfig:
    return SimulatorConfig(
        webhook_url=webhook_url,
        service_keys=service_keys,
        signing=Signing(
            secret=hub_secret,
            algorithm=args.signature_algorithm,
            prefix=args.signature_prefix,
        ),
        callback_headers=callback_headers or {},
        quirks=args.quirks,
        rates=Rates(
            failure=args.failure_rate,
            read=args.read_rate,
            duplicate=args.duplicate_rate,
            out_of_order=args.out_of_order_rate,
        ),
        delivery=DeliveryPolicy(
            timeout_seconds=args.callback_timeout,
            max_retries=args.max_retries,
            retry_intervals=args.retry_interval,
        ),
        pace=args.pace,
        seed=args.seed,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="A local IMIconnect: send API, signed callbacks to a webhook, status API.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("SIMULATOR_PORT", "3100")),
        help="port on 127.0.0.1 (default 3100, or SIMULATOR_PORT; 0 picks a free one)",
    )
    parser.add_argument(
        "--webhook-url",
        default=os.environ.get("SIMULATOR_WEBHOOK_URL", "http://127.0.0.1:3000/callbacks"),
        help="where callbacks go unless a send names a notifyurl "
        "(default http://127.0.0.1:3000/callbacks)",
    )
    parser.add_argument(
        "--service-key",
        action="append",
        default=None,
        help="service key accepted in the 'key' header; repeat for several services "
        "(default: local-service-key, or SIMULATOR_SERVICE_KEY)",
    )
    parser.add_argument(
        "--hub-secret",
        default=os.environ.get("SIMULATOR_HUB_SECRET"),
        help="secret for x-hub-signature (or SIMULATOR_HUB_SECRET); unsigned without one",
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME:VALUE",
        help="extra header on every callback (Basic auth, an API key); repeatable",
    )
    add_signing_arguments(parser)
    add_behaviour_arguments(parser)
    return parser


def parse_headers(items: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in items:
        name, separator, value = item.partition(":")
        if not separator or not name.strip():
            raise SystemExit(f"--header {item!r} is not NAME:VALUE")
        headers[name.strip()] = value.strip()
    return headers


def service_keys_from(args: argparse.Namespace) -> dict[str, str]:
    keys = args.service_key or [os.environ.get("SIMULATOR_SERVICE_KEY", "local-service-key")]
    # The first key is the "local" service; others are other services of the same client.
    return {
        key: ("local" if index == 0 else f"service-{index + 1}") for index, key in enumerate(keys)
    }
