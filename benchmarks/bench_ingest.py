"""Ingest function: warm cost per callback, cold start, and DynamoDB write units per callback.

    .venv/bin/python benchmarks/bench_ingest.py [--runs 9]

1. Warm cost per callback: ``lambda_handler`` (decorators, hub-signature check, parsing,
   logging at INFO and metrics as deployed, output thrown away) on one seed callback, against
   a minimal baseline handler (``json.loads`` plus one ``put_item``) on the same stub, in
   alternating rounds. Two stubs: a real botocore DynamoDB client whose HTTP send is answered
   from an in-memory table (request serialisation and response parsing count, as on Lambda;
   only the network is gone), and a plain object with a ``put_item`` method (no botocore).
2. Cold start: fresh processes importing the handler and serving the first callback through
   the deployed wiring (settings from the environment, the layer's DynamoDB client, the secret
   read through Powertools' parameters), every AWS call answered in memory at botocore's send
   hook, against ``import boto3; boto3.client("dynamodb")``; in CPU time, because this
   machine is shared. Variants: the secret in Secrets Manager, the same work routed through
   Powertools' ``APIGatewayHttpResolver`` (the routing choice), and the packages without
   byte-code, as ``sam build`` ships them today. Then where the time goes, step by step.
3. Write units: each seed callback's stored item sized by DynamoDB's item-size rules, with
   the global secondary index writes it causes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (
    REPO_ROOT,
    REPO_ROOT / "layers" / "shared",
    REPO_ROOT / "functions",
    REPO_ROOT / "local",
):
    sys.path.insert(0, str(_path))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# What the template sets for the function; fake credentials keep botocore from looking around.
BENCH_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "EVENTS_TABLE_NAME": "imiconnect-receipts-events",
    "RETENTION_DAYS": "90",
    "CALLBACK_AUTH_MODE": "hub-signature",
    "ALLOW_UNAUTHENTICATED_CALLBACKS": "false",
    "CALLBACK_SECRET_REFERENCE": "ssm:/imiconnect-receipts/bench/callback-secret",
    "CALLBACK_API_KEY_HEADER": "x-api-key",
    "MAX_CALLBACK_BYTES": "65536",
    "POWERTOOLS_SERVICE_NAME": "ingest",
    "POWERTOOLS_METRICS_NAMESPACE": "imiconnect-receipts-bench",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_PARAMETERS_MAX_AGE": "300",
}
for _name, _value in BENCH_ENVIRONMENT.items():
    os.environ[_name] = _value
# PYTHONDONTWRITEBYTECODE (set on some build machines) would leave the project's own modules
# without byte-code caches, so every "with byte-code" cold start would compile them.
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "PYTHONDONTWRITEBYTECODE"):
    os.environ.pop(_name, None)

# The function logs and prints metrics as deployed; the table goes to the real stdout, and
# main() sends the function's own output (captured by its logger when first imported, so
# main() swaps stdout before the handler's modules are loaded) to /dev/null.
TABLE_OUT = sys.stdout

import boto3  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from _aws_stub import RawBody  # noqa: E402
from _harness import PYTHONPATH, fresh_process_times, timed_snippet  # noqa: E402
from dynamodb_sizes import index_shapes, item_size, write_units  # noqa: E402
from receipts.models.callback import parse_callback  # noqa: E402
from receipts.storage import EventStore  # noqa: E402

if TYPE_CHECKING:
    from ingest.dependencies import IngestDependencies

SECRET = "bench-callback-secret"  # noqa: S105  # a made-up value for the stub
SECRET_PATH = BENCH_ENVIRONMENT["CALLBACK_SECRET_REFERENCE"].removeprefix("ssm:")
SAMPLE = "04-sms-failed"
WARM_AIM = 2.0
COLD_AIM_MS = 100.0
WRITE_UNITS_AIM = 1


# ---- stubs --------------------------------------------------------------------------------


class InMemoryTable:
    """Answers DynamoDB PutItem over botocore's send hook, honouring the conditional put."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Any] = {}

    def answer(self, request: Any, **_: Any) -> AWSResponse:
        sent = json.loads(request.body)
        item = sent["Item"]
        key = (item["pk"]["S"], item.get("sk", {}).get("S", ""))
        if "ConditionExpression" in sent and key in self.items:
            body = (
                b'{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",'
                b'"message":"The conditional request failed"}'
            )
            return AWSResponse(request.url, 400, {}, RawBody(body))
        self.items[key] = item
        return AWSResponse(request.url, 200, {"x-amzn-requestid": "bench"}, RawBody(b"{}"))


def botocore_stub() -> tuple[Any, InMemoryTable]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = InMemoryTable()
    client.meta.events.register("before-send.dynamodb.PutItem", table.answer)
    return client, table


class PlainStub:
    """A client object with only ``put_item``: what a test fake would be."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Any] = {}

    def put_item(self, **request: Any) -> dict[str, Any]:
        item = request["Item"]
        key = (item["pk"]["S"], item.get("sk", {}).get("S", ""))
        if "ConditionExpression" in request and key in self.items:
            raise ClientError(
                {"Error": {"Code": "ConditionalCheckFailedException", "Message": "failed"}},
                "PutItem",
            )
        self.items[key] = item
        return {}


# ---- 1. warm ------------------------------------------------------------------------------


class Context:
    function_name = "ingest-bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ingest-bench"
    aws_request_id = "bench"


def signed_event(sample: str = SAMPLE) -> dict[str, Any]:
    import hashlib
    import hmac

    event: dict[str, Any] = json.loads(
        (REPO_ROOT / "events" / "http" / "callbacks" / f"{sample}.json").read_text()
    )
    digest = hmac.new(SECRET.encode(), event["body"].encode(), hashlib.sha256).hexdigest()
    event["headers"]["x-hub-signature"] = f"sha256={digest}"
    return event


def baseline_handler(
    client: Any, *, conditional: bool = False
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """``json.loads`` and one ``put_item``; ``conditional`` adds the de-duplicating condition."""
    condition = {"ConditionExpression": "attribute_not_exists(pk)"} if conditional else {}

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        body = json.loads(event["body"])
        transid = body["deliveryInfoNotification"]["transid"]
        try:
            client.put_item(
                TableName="imiconnect-receipts-events",
                Item={"pk": {"S": transid}, "sk": {"S": "EV"}, "body": {"S": event["body"]}},
                **condition,
            )
        except ClientError:
            return {"statusCode": 200, "body": '{"status":"duplicate"}'}
        return {"statusCode": 200, "body": '{"status":"accepted"}'}

    return handle


def _calls_per_round(function: Callable[[], object], seconds: float = 0.05) -> int:
    number = 1
    while True:
        started = time.perf_counter()
        for _ in range(number):
            function()
        if time.perf_counter() - started > seconds:
            return number
        number *= 2


def _seconds_per_call(function: Callable[[], object], number: int) -> float:
    started = time.perf_counter()
    for _ in range(number):
        function()
    return (time.perf_counter() - started) / number


def interleaved(
    measured: Callable[[], object], baseline: Callable[[], object], *, rounds: int = 15
) -> tuple[float, float, float]:
    """Median seconds per call of each, and the median of per-round ratios.

    Rounds alternate between the two, so a machine busy with other work slows both alike.
    """
    measured_calls = _calls_per_round(measured)
    baseline_calls = _calls_per_round(baseline)
    measured_times, baseline_times, ratios = [], [], []
    for _ in range(rounds):
        baseline_seconds = _seconds_per_call(baseline, baseline_calls)
        measured_seconds = _seconds_per_call(measured, measured_calls)
        measured_times.append(measured_seconds)
        baseline_times.append(baseline_seconds)
        ratios.append(measured_seconds / baseline_seconds)
    return (
        statistics.median(measured_times),
        statistics.median(baseline_times),
        statistics.median(ratios),
    )


WarmRow = tuple[str, float, str, float, float]


def warm_figures() -> list[WarmRow]:
    """(path, ingest seconds, baseline name, baseline seconds, ratio) for each stub."""
    from ingest.dependencies import IngestDependencies, table_store
    from ingest.handler import lambda_handler
    from ingest.settings import settings_from

    settings = settings_from(os.environ)
    event = signed_event()
    context = Context()
    rows: list[WarmRow] = []
    for label, make in (("botocore client, send stubbed", botocore_stub), ("plain object", None)):
        if make is None:
            client: Any = PlainStub()
            items = client.items
        else:
            client, table = make()
            items = table.items
        dependencies = IngestDependencies(
            settings=settings, store=table_store(client, settings), secrets=lambda: (SECRET,)
        )
        assert lambda_handler(event, context, dependencies=dependencies)["statusCode"] == 200

        def new_callback(
            dependencies: IngestDependencies = dependencies, items: Any = items
        ) -> None:
            items.clear()  # every call is a callback never seen before
            lambda_handler(event, context, dependencies=dependencies)

        def duplicate(dependencies: IngestDependencies = dependencies) -> None:
            lambda_handler(event, context, dependencies=dependencies)

        baseline = baseline_handler(client)
        failing_baseline = baseline_handler(client, conditional=True)

        def baseline_call(baseline: Any = baseline, items: Any = items) -> None:
            items.clear()
            baseline(event, context)

        def failing_baseline_call(failing_baseline: Any = failing_baseline) -> None:
            failing_baseline(event, context)

        for path, measured, baseline_name, against in (
            ("new", new_callback, "json.loads + put_item", baseline_call),
            ("duplicate", duplicate, "json.loads + put_item", baseline_call),
            ("duplicate", duplicate, "json.loads + failing conditional put", failing_baseline_call),
        ):
            if against is baseline_call:
                items.clear()
            else:
                failing_baseline_call()  # the key exists from now on
            seconds, baseline_seconds, ratio = interleaved(measured, against)
            rows.append((f"{path}, {label}", seconds, baseline_name, baseline_seconds, ratio))
    return rows


# ---- 2. cold ------------------------------------------------------------------------------

# Every AWS call of the deployed wiring (the layer's DynamoDB client, the SSM or Secrets
# Manager client behind Powertools' parameters) is answered in memory by the stub `make
# bench` uses too, at botocore's send hook: same clients, same configuration, no network.
_STUB_AWS = f"""
from benchmarks import _aws_stub
_aws_stub.install(parameters={{{SECRET_PATH!r}: {SECRET!r}}})
"""

_FIRST_CALLBACK = """
from ingest.handler import lambda_handler
response = {handle}
assert response["statusCode"] == 200, response
"""

_DIRECT = "lambda_handler(EVENT, CONTEXT)"
_THROUGH_RESOLVER = "resolve(EVENT)"
# The same work behind Powertools' resolver: what the routing choice is measured against.
_RESOLVER_APP = """
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from ingest.routes import handle_event
app = APIGatewayHttpResolver()
def _answer(raw):
    return Response(raw["statusCode"], raw["headers"]["content-type"], raw["body"])
@app.post("/callbacks")
def callback():
    return _answer(handle_event(app.current_event.raw_event))
@app.route("/callbacks", method=["GET", "HEAD"])
def probe():
    return _answer(handle_event(app.current_event.raw_event))
def resolve(event):
    return app.resolve(event, CONTEXT)
"""


def _cold_snippet(handle: str, *, resolver: bool) -> str:
    setup = (
        f"EVENT = {signed_event()!r}\n"
        "class CONTEXT:\n"
        "    function_name = 'ingest-bench'\n"
        "    memory_limit_in_mb = 512\n"
        "    invoked_function_arn = 'arn:aws:lambda:us-east-1:123456789012:function:b'\n"
        "    aws_request_id = 'bench'\n"
    )
    timed = _FIRST_CALLBACK.replace("{handle}", handle)
    if resolver:
        timed = _RESOLVER_APP + timed
    # Only the event is built outside the timed part: every import counts, the stubs' too.
    return setup + timed_snippet(_STUB_AWS + timed)


# What the layer's requirements install, plus the project's own packages.
_SHIPPED_PACKAGES = (
    "aws_lambda_powertools",
    "jmespath",
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_inspection",
    "typing_extensions.py",
)


def copy_without_bytecode(target: Path, functions: tuple[str, ...] = ("ingest",)) -> Path:
    """The layer and the functions as ``sam build`` would ship them without byte-code.

    Lambda's code directories are read-only, so such modules are compiled at every cold
    start; the runtime's own boto3 and standard library come compiled.
    """
    import pydantic

    site_packages = Path(pydantic.__file__).resolve().parents[1]
    skip = shutil.ignore_patterns("__pycache__")
    for name in _SHIPPED_PACKAGES:
        source = site_packages / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=skip)
        else:
            shutil.copy2(source, target / name)
    shutil.copytree(REPO_ROOT / "layers" / "shared" / "receipts", target / "receipts", ignore=skip)
    for package in functions:
        shutil.copytree(REPO_ROOT / "functions" / package, target / package, ignore=skip)
    return target


def cold_figures(runs: int, unbuilt: Path) -> dict[str, list[tuple[float, float]]]:
    """Seconds per fresh process for each variant, run in turn so load hits all alike."""
    environment = {**os.environ, **BENCH_ENVIRONMENT, "PYTHONPATH": PYTHONPATH}
    without_bytecode = {
        **environment,
        "PYTHONPATH": os.pathsep.join([str(unbuilt), PYTHONPATH]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    origin = subprocess.run(
        [sys.executable, "-c", "import pydantic, receipts, ingest; print(pydantic.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        env=without_bytecode,
    ).stdout
    assert origin.startswith(str(unbuilt)), origin
    secrets_manager = {
        **environment,
        "CALLBACK_SECRET_REFERENCE": f"secretsmanager:{SECRET_PATH}",
    }
    variants = {
        "baseline": (timed_snippet('import boto3\nboto3.client("dynamodb")'), environment),
        "ingest": (_cold_snippet(_DIRECT, resolver=False), environment),
        "ingest, secret in Secrets Manager": (
            _cold_snippet(_DIRECT, resolver=False),
            secrets_manager,
        ),
        "ingest via resolver": (_cold_snippet(_THROUGH_RESOLVER, resolver=True), environment),
        "ingest, shipped without byte-code": (
            _cold_snippet(_DIRECT, resolver=False),
            without_bytecode,
        ),
    }
    # One run first, untimed: it writes the byte-code caches a built package would ship.
    for code, variant_environment in variants.values():
        fresh_process_times(code, variant_environment)
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, (code, variant_environment) in variants.items():
            timings[name].append(fresh_process_times(code, variant_environment))
    return timings


# Steps in the order the handler's own imports run them; the cycle collector's CPU time is
# kept per step too, since receipts.cold_start switches it off for ingest.dependencies.
_BREAKDOWN = (
    """
import gc, time
_marks = [time.process_time()]
_collector = [0.0]
_collecting_since = [0.0]
_collector_marks = [0.0]
def _watch(phase, info):
    if phase == "start":
        _collecting_since[0] = time.process_time()
    else:
        _collector[0] += time.process_time() - _collecting_since[0]
gc.callbacks.append(_watch)
def _mark():
    _marks.append(time.process_time())
    _collector_marks.append(_collector[0])
"""
    + _STUB_AWS
    + """
_mark()
import aws_lambda_powertools.utilities.typing
_mark()
import ingest.dependencies
_mark()
from ingest.handler import lambda_handler
_mark()
from receipts.aws_clients import dynamodb_client
dynamodb_client()
_mark()
ingest.dependencies.default_dependencies().secrets()
_mark()
response = lambda_handler(EVENT, CONTEXT)
assert response["statusCode"] == 200, response
_mark()
"""
    + _RESOLVER_APP
    + """
EVENT["headers"]["x-wx-gtrid"] = "second"
assert resolve(EVENT)["statusCode"] == 200
_mark()
print(",".join(str(b - a) for a, b in zip(_collector_marks, _collector_marks[1:])))
print(",".join(str(b - a) for a, b in zip(_marks, _marks[1:])))
"""
)
BREAKDOWN_STEPS = (
    "boto3, imported by the stub (the baseline's import)",
    "Powertools (its package loads Logger, Metrics, Tracer)",
    "ingest.dependencies: the layer's callback reader and storage, botocore errors, settings",
    "the rest of the handler: observability (Logger, Metrics), routes",
    "the DynamoDB client (the baseline's client)",
    "the secret: store client + first read",
    "first callback (parse, store, log, metrics)",
    "(not shipped) importing the resolver + one request through it",
)
# Steps in the same order as the measured cold start, so the collector runs where it runs
# there; these two are the baseline's own work, the last one is not shipped.
_BASELINE_STEPS = frozenset({0, 4})
_NOT_SHIPPED_STEP = len(BREAKDOWN_STEPS) - 1


def over_the_baseline(steps: list[float]) -> float:
    """What the shipped steps add to ``import boto3`` + one client."""
    return sum(
        seconds
        for index, seconds in enumerate(steps)
        if index not in _BASELINE_STEPS and index != _NOT_SHIPPED_STEP
    )


def cold_breakdown(runs: int) -> dict[str, list[float]]:
    """Median CPU seconds of each cold-start step in fresh processes, per secret store.

    Under ``"<store>, collector"``: the part of each step the cycle collector took.
    """
    code = (
        f"EVENT = {signed_event()!r}\n"
        "class CONTEXT:\n"
        "    function_name = 'ingest-bench'\n"
        "    memory_limit_in_mb = 512\n"
        "    invoked_function_arn = 'arn:aws:lambda:us-east-1:123456789012:function:b'\n"
        "    aws_request_id = 'bench'\n" + _BREAKDOWN
    )
    environment = {**os.environ, **BENCH_ENVIRONMENT, "PYTHONPATH": PYTHONPATH}
    stores = {
        "SSM": environment,
        "Secrets Manager": {
            **environment,
            "CALLBACK_SECRET_REFERENCE": f"secretsmanager:{SECRET_PATH}",
        },
    }
    steps: dict[str, list[list[float]]] = {
        name: [[] for _ in BREAKDOWN_STEPS]
        for store in stores
        for name in (store, f"{store}, collector")
    }
    for _ in range(runs):
        for store, store_environment in stores.items():
            output = subprocess.run(
                [sys.executable, "-c", code],
                check=True,
                capture_output=True,
                text=True,
                env=store_environment,
            ).stdout
            collector, total = output.strip().splitlines()[-2:]
            for name, line in ((f"{store}, collector", collector), (store, total)):
                for index, seconds in enumerate(line.split(",")):
                    steps[name][index].append(float(seconds))
    return {
        store: [statistics.median(values) for values in per_step]
        for store, per_step in steps.items()
    }


# ---- 3. write units -----------------------------------------------------------------------


def write_unit_figures() -> dict[str, Any]:
    """Per seed callback: the table write, and the index writes its attributes cause."""
    store = EventStore(PlainStub(), "events")  # type: ignore[arg-type]
    received_at = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    from local_stack.template import load_template

    shapes = index_shapes(load_template())
    table_units, index_units, sizes = [], [], []
    per_index: dict[str, int] = dict.fromkeys((shape.name for shape in shapes), 0)
    samples = sorted((REPO_ROOT / "events" / "http" / "callbacks").glob("*.json"))
    for path in samples:
        event = json.loads(path.read_text())
        item = store.event_item(
            parse_callback(event["body"]),
            received_at=received_at,
            gtrid=event["headers"].get("x-wx-gtrid"),
        )
        size = item_size(item)
        sizes.append(size)
        table_units.append(write_units(size))
        units = 0
        for shape in shapes:
            entry = shape.entry(item)
            if entry is None:
                continue  # sparse index: no key, no write
            units += write_units(item_size(entry))
            per_index[shape.name] += 1
        index_units.append(units)
    return {
        "samples": len(samples),
        "largest_item_bytes": max(sizes),
        "median_item_bytes": statistics.median(sizes),
        "table_units": table_units,
        "index_units": index_units,
        "per_index": per_index,
    }


# ---- report -------------------------------------------------------------------------------


def _table(title: str, rows: list[tuple[str, ...]]) -> None:
    headers = ("measure", "value", "baseline", "ratio / aim")
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(4)]
    print(f"\n{title}", file=TABLE_OUT)
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line, file=TABLE_OUT)
    print("-" * len(line), file=TABLE_OUT)
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)), file=TABLE_OUT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh processes per cold figure")
    arguments = parser.parse_args()
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115  # for the whole run

    warm = warm_figures()
    _table(
        f"Warm cost per callback ({SAMPLE}, hub signature, INFO logs and metrics; medians)",
        [
            (
                label,
                f"{ingest * 1e6:.0f} us",
                f"{baseline_name} {baseline * 1e6:.0f} us",
                f"{ratio:.2f}x (aim <= {WARM_AIM:.0f}x)",
            )
            for label, ingest, baseline_name, baseline, ratio in warm
        ],
    )

    runs = max(arguments.runs, 5)
    with tempfile.TemporaryDirectory(prefix="ingest-unbuilt-") as unbuilt:
        cold = cold_figures(runs, copy_without_bytecode(Path(unbuilt)))

    def median(name: str, part: int) -> float:
        return statistics.median(run[part] for run in cold[name])

    def extra(name: str, against: str = "baseline") -> float:
        """Median over runs of the CPU-time difference within a run."""
        return statistics.median(
            a[1] - b[1] for a, b in zip(cold[name], cold[against], strict=True)
        )

    _table(
        f"Cold start: import + first callback, fresh processes (CPU time; medians of {runs})",
        [
            (
                name,
                f"{median(name, 1) * 1000:.0f} ms (wall {median(name, 0) * 1000:.0f})",
                f"boto3 + client {median('baseline', 1) * 1000:.0f} ms "
                f"(wall {median('baseline', 0) * 1000:.0f})",
                f"{extra(name) * 1000:+.0f} ms (aim <= +{COLD_AIM_MS:.0f} ms)",
            )
            for name in (
                "ingest",
                "ingest, secret in Secrets Manager",
                "ingest via resolver",
                "ingest, shipped without byte-code",
            )
        ]
        + [
            (
                "the resolver's own cost",
                f"{extra('ingest via resolver', 'ingest') * 1000:+.0f} ms",
                "hand routing",
                "why routing is by hand",
            )
        ],
    )

    breakdown = cold_breakdown(runs)
    _table(
        f"Where the cold start goes (CPU time, steps in order; medians of {runs} processes)",
        [
            (
                step,
                f"{ssm * 1000:.0f} ms",
                f"Secrets Manager: {manager * 1000:.0f} ms",
                f"cycle collector: {collector * 1000:.0f} ms",
            )
            for step, ssm, manager, collector in zip(
                BREAKDOWN_STEPS,
                breakdown["SSM"],
                breakdown["Secrets Manager"],
                breakdown["SSM, collector"],
                strict=True,
            )
        ]
        + [
            (
                "ingest's cold start over the baseline",
                f"{over_the_baseline(breakdown['SSM']) * 1000:+.0f} ms",
                "Secrets Manager: "
                f"{over_the_baseline(breakdown['Secrets Manager']) * 1000:+.0f} ms",
                f"aim <= +{COLD_AIM_MS:.0f} ms",
            )
        ],
    )

    units = write_unit_figures()
    table_units = units["table_units"]
    index_units = units["index_units"]
    total = [a + b for a, b in zip(table_units, index_units, strict=True)]
    _table(
        f"DynamoDB write units per new callback ({units['samples']} seed callbacks)",
        [
            (
                "table item",
                f"max {max(table_units)} WCU",
                f"item {units['median_item_bytes']:.0f} B median, "
                f"{units['largest_item_bytes']} B max",
                f"{statistics.mean(table_units):.2f} mean (aim {WRITE_UNITS_AIM})",
            ),
            (
                "index writes",
                f"{statistics.mean(index_units):.2f} WCU mean",
                ", ".join(
                    f"{name} {count}/{units['samples']}"
                    for name, count in units["per_index"].items()
                ),
                f"max {max(index_units)}",
            ),
            (
                "all writes",
                f"{statistics.mean(total):.2f} WCU mean",
                "duplicate: 1 WCU (failed conditional put)",
                f"max {max(total)}",
            ),
        ],
    )


if __name__ == "__main__":
    main()
