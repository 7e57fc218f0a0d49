"""``python -m simulator``: the simulated platform alone, in front of any webhook."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType

from simulator.cli import build_parser, config_from_arguments, parse_headers, service_keys_from
from simulator.engine import Simulator
from simulator.server import serve_simulator


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    keys = service_keys_from(args)
    config = config_from_arguments(
        args,
        webhook_url=args.webhook_url,
        service_keys=keys,
        hub_secret=args.hub_secret,
        callback_headers=parse_headers(args.header),
    )
    simulator = Simulator(config)
    simulator.start()
    server = serve_simulator(simulator, port=args.port)
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    key = next(iter(keys))
    print(
        f"IMIconnect simulator on {server.url}\n"
        f"  send API    POST {server.url}/resources/v1/messaging   (header key: {key})\n"
        f"  status API  GET  {server.url}/resources/v1/messaging/status/<transid>\n"
        f"  counters    GET  {server.url}/_simulator/stats\n"
        f"  callbacks   -> {config.webhook_url} "
        f"({'signed ' + config.signing.algorithm if config.signing.secret else 'unsigned'}; "
        f"quirks: {', '.join(config.quirks.names()) or 'none'})\n"
        "Ctrl-C stops.",
        flush=True,
    )
    stopping.wait()
    server.stop()
    simulator.stop()
    print(f"stopped; {simulator.stats()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
