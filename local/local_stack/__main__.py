"""``python -m local_stack`` (``make run``): the whole product locally, until Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from local_stack.banner import banner
from local_stack.intrinsics import TemplateError, parse_parameter_overrides
from local_stack.output import MetricLinesFilter
from local_stack.stack import LocalStack, StackOptions
from local_stack.state import DEFAULT_STATE_FILE, shell_exports_file
from local_stack.template import TEMPLATE_PATH
from simulator.cli import add_behaviour_arguments, add_signing_arguments, config_from_arguments


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local_stack",
        description="Run imiconnect-receipts locally: embedded AWS, the HTTP API, the alerts "
        "pipeline and an IMIconnect simulator, from template.yaml. No Docker needed.",
    )
    ports = parser.add_argument_group("ports on 127.0.0.1 (0 picks a free one)")
    ports.add_argument(
        "--port",
        "--api-port",
        dest="api_port",
        type=int,
        default=int(os.environ.get("LOCAL_API_PORT", "3000")),
        help="the HTTP API: webhook and lookups (default 3000, or LOCAL_API_PORT)",
    )
    ports.add_argument(
        "--simulator-port",
        type=int,
        default=int(os.environ.get("LOCAL_SIMULATOR_PORT", "3100")),
        help="the IMIconnect simulator (default 3100)",
    )
    ports.add_argument(
        "--console-port",
        type=int,
        default=int(os.environ.get("LOCAL_CONSOLE_PORT", "3001")),
        help="the console: chat-webhook receiver, alerts, counters, faults (default 3001)",
    )
    ports.add_argument(
        "--aws-port",
        type=int,
        default=int(os.environ.get("LOCAL_AWS_PORT", "5000")),
        help="the embedded AWS, moto (default 5000)",
    )
    stack = parser.add_argument_group("stack")
    stack.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a template parameter, as for sam deploy --parameter-overrides; repeatable "
        "(e.g. --param AlertMaxReceiveCount=2)",
    )
    stack.add_argument("--region", default="us-east-1", help="region of the embedded AWS")
    stack.add_argument(
        "--template", type=Path, default=TEMPLATE_PATH, help="the SAM template (template.yaml)"
    )
    stack.add_argument(
        "--state-file",
        type=Path,
        default=DEFAULT_STATE_FILE,
        help="where URLs and credentials are written for make demo (local-state/stack.json; "
        "their shell exports go beside it, in stack.env)",
    )
    stack.add_argument(
        "--function-log-level",
        default="WARNING",
        help="the functions' POWERTOOLS_LOG_LEVEL locally (default WARNING; INFO shows all)",
    )
    stack.add_argument(
        "--metrics", action="store_true", help="show the functions' CloudWatch EMF metric lines"
    )
    stack.add_argument(
        "--retry-visibility",
        type=int,
        default=1,
        help="seconds before a failed alert record is retried (the queue's own is 180)",
    )
    stack.add_argument("--quiet", action="store_true", help="no access log, alerts only")
    stack.add_argument(
        "--alerts-kept",
        type=int,
        default=1000,
        help="alerts the console keeps for GET /alerts (the most recent; load runs raise it)",
    )
    reconcile = parser.add_argument_group("reconcile sweep (scaled down locally)")
    reconcile.add_argument(
        "--reconcile-interval",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="seconds between reconcile runs (default 10; 0 keeps the template's interval)",
    )
    reconcile.add_argument(
        "--reconcile-after",
        type=_seconds,
        default=15.0,
        metavar="SECONDS",
        help="seconds a transaction stays quiet before the sweep asks about it (default 15; "
        "0 keeps the template's ReconcileAfterMinutes)",
    )
    add_signing_arguments(parser)
    add_behaviour_arguments(parser)
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"seconds must be 0 or more: {text!r}")
    return value


def options_from_arguments(args: argparse.Namespace) -> StackOptions:
    return StackOptions(
        api_port=args.api_port,
        aws_port=args.aws_port,
        simulator_port=args.simulator_port,
        console_port=args.console_port,
        region=args.region,
        template_path=args.template.resolve(),
        parameter_overrides=parse_parameter_overrides(args.param),
        simulator=config_from_arguments(args, webhook_url=None, service_keys={}, hub_secret=None),
        function_log_level=args.function_log_level,
        retry_visibility_seconds=args.retry_visibility,
        state_file=args.state_file,
        access_log=not args.quiet,
        alerts_kept=args.alerts_kept,
        # 0 on the command line: the template's own setting.
        reconcile_interval_seconds=args.reconcile_interval or None,
        reconcile_after_seconds=args.reconcile_after or None,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)-18s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stdout,
    )
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not args.metrics:
        # After logging is set up: the stack's own lines keep the real stdout.
        sys.stdout = MetricLinesFilter(sys.stdout)
    try:
        options = options_from_arguments(args)
    except TemplateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    stack = LocalStack(options)
    try:
        state = stack.start()
    except TemplateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"error: cannot start the local stack: {error}\n"
            "Is it already running? Choose other ports with --port (or LOCAL_API_PORT).",
            file=sys.stderr,
        )
        return 1
    try:
        print(banner(state, shell_exports_file(args.state_file)), flush=True)
        stopping.wait()
        print("stopping...", flush=True)
    finally:
        stack.stop()
    print("stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
