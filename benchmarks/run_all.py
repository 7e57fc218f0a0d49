"""``make bench``: every figure in one table, each beside its baseline (medians of several runs).

    .venv/bin/python benchmarks/run_all.py [--runs 7] [--output benchmarks/latest.md]

What each row measures, all with AWS stubbed at botocore's send hook (requests are built,
signed and parsed; only the network is gone) and the functions configured from
``template.yaml`` (logs at INFO, accepted callbacks sampled at its rate, and metrics, as
deployed):

- Cold start per function: a fresh interpreter imports the handler and serves its first
  event through the deployed wiring (settings from the environment, the layer's clients,
  secrets read through Powertools' parameters), against ``import boto3`` plus one client.
  CPU time (this machine is shared; an idle Lambda sandbox has its CPU to itself). Twice:
  with byte-code, and without (Lambda's code directory is read-only, so a package shipped
  without ``.pyc`` is compiled at every cold start); the notes say which one ``make build``
  produced.
- Warm cost per callback, per lookup (memory-cache hit, DynamoDB-cache hit) and per alert
  record, through ``lambda_handler``, against a minimal handler doing the least a function
  must (``json.loads`` and one call on the same stubbed client), in alternating rounds.
- Lookup: share of look-ups that reach the vendor on a Zipf-skewed workload (seeds 7, 8, 9),
  against a proxy without caches (every look-up reaches the vendor).
- Reconcile: vendor calls per reconciled transaction, calls per transaction, the share
  reconciled by the first ask and closed at the horizon, and the sweep's table reads per
  transaction, for quiet transactions swept to the horizon on a simulated clock
  (``bench_reconcile.py``, moto in-process), against the goal of 1.2 calls.
- DynamoDB write units per new callback, from the stored items' sizes and the indexes they
  enter, against the one unit any write costs.
- Cost per million callbacks (``cost_model.py``, prices in ``prices.toml``), from the
  measured warm duration plus a stated DynamoDB round trip, the template's MemorySize, the
  measured log bytes per invocation (the mean over every timed call, at the template's sample
  rate), Lambda's own log bytes under the template's LoggingConfig (stated) and a stated
  failure share; against the same model for the minimal handler.
- Reports: a 1M-message campaign's report (items read, latency) and the stream consumer's
  table units and cost per million callbacks, stated apart from ingest's
  (``bench_reports.py``).
- Deployment package sizes, from ``make build`` (run first when ``.aws-sam/build`` is
  missing or older than the sources), against Lambda's 250 MB unzipped limit.

Prints the table as Markdown and writes it to ``benchmarks/latest.md``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = Path(__file__).resolve().parent
CODE_PATHS = [REPO_ROOT / "layers" / "shared", REPO_ROOT / "functions", REPO_ROOT / "local"]
for _path in (REPO_ROOT, *CODE_PATHS, BENCHMARKS):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from _harness import fresh_process_times, timed_snippet  # noqa: E402

LATEST_PATH = BENCHMARKS / "latest.md"
BUILD_DIR = REPO_ROOT / ".aws-sam" / "build"
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
# Stated, not measured here: a PutItem round trip to DynamoDB in the same region (single
# digit milliseconds at p50), which Lambda bills on top of the function's own work.
DYNAMODB_ROUND_TRIP_MS = 5.0
# Stated: the share of callbacks that are failures and raise an alert (pipe + queue costs).
FAILURE_SHARE = 0.10
# Stated, from the template's LoggingConfig (JSON, SystemLogLevel WARN): Lambda writes no
# START/END/REPORT lines (~300 bytes in the text format) for an invocation that succeeds, and
# a failed or timed-out one is not a callback the model counts.
PLATFORM_LOG_BYTES = 0.0
ZIPF_SEEDS = (7, 8, 9)
SECRET_VALUES = {
    "callback-secret": "bench-callback-secret",
    "vendor-service-key": "bench-vendor-service-key",
    "lookup-api-keys": "bench-lookup-key",
    "alert-webhooks": "{}",
}
FUNCTIONS = ("IngestFunction", "LookupFunction", "AlertsFunction", "WebConsoleFunction")
# Functions that never import boto3: their cold start is timed without the AWS stub.
WITHOUT_AWS = frozenset({"WebConsoleFunction"})


class CountingSink(io.TextIOBase):
    """Where the functions' log lines and metrics go: counted, not kept."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)

    def writable(self) -> bool:
        return True


# ---- the functions' settings, from the template --------------------------------------------


def _resource_value(template: Mapping[str, Any], logical_id: str, attribute: str | None) -> str:
    kind = template["Resources"].get(logical_id, {}).get("Type", "")
    account = "123456789012"
    if attribute in ("Arn", "StreamArn"):
        return f"arn:aws:bench:us-east-1:{account}:{logical_id}"
    if kind == "AWS::SNS::Topic":
        return f"arn:aws:sns:us-east-1:{account}:bench-{logical_id}"
    if kind == "AWS::SQS::Queue":
        return f"https://sqs.us-east-1.amazonaws.com/{account}/bench-{logical_id}"
    return f"bench-{logical_id}"


@dataclass(frozen=True)
class Deployed:
    """Each function's environment and memory, as template.yaml sets them."""

    environments: dict[str, dict[str, str]]
    memory_mb: dict[str, int]

    @property
    def secret_parameters(self) -> dict[str, str]:
        """Every secret a function names, at its path, with a benchmark value."""
        found = {}
        for environment in self.environments.values():
            for name, value in environment.items():
                if name.endswith("_REFERENCE"):
                    path = value.split(":", 1)[1]
                    found[path] = SECRET_VALUES[path.rsplit("/", 1)[-1]]
        return found


def deployed_settings() -> Deployed:
    from local_stack.functions import function_specs
    from local_stack.intrinsics import Evaluator, resolve_parameters
    from local_stack.template import load_template

    template = load_template()
    evaluator = Evaluator(
        template,
        resolve_parameters(template),
        resolve_resource=lambda logical_id, attribute: _resource_value(
            template, logical_id, attribute
        ),
    )
    specs = function_specs(template, evaluator)
    return Deployed(
        environments={name: dict(specs[name].environment) for name in FUNCTIONS},
        memory_mb={name: specs[name].memory_mb for name in FUNCTIONS},
    )


BASE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",  # a placeholder: the stub answers every call
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "imiconnect-receipts-bench",
}


def apply_environment(deployed: Deployed) -> None:
    """One process, three functions: their shared variables (each names its service in code)."""
    merged: dict[str, str] = {}
    for environment in deployed.environments.values():
        for name, value in environment.items():
            if name != "POWERTOOLS_SERVICE_NAME":
                merged[name] = value
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "POWERTOOLS_SERVICE_NAME"):
        os.environ.pop(name, None)
    os.environ.update({**merged, **BASE_ENVIRONMENT})


# ---- events ---------------------------------------------------------------------------------

LOOKUP_TRANSID = "262895e4-2217-4eef-92ca-79fd0250c4a3"
ALERT_TRANSID = "bench-alert-0001"


def _wire_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item as DynamoDB sends it over the wire: binary attributes in base64."""
    wired: dict[str, Any] = {}
    for name, value in item.items():
        if "B" in value:
            wired[name] = {"B": base64.b64encode(bytes(value["B"])).decode()}
        elif "M" in value:
            wired[name] = {"M": _wire_item(value["M"])}
        else:
            wired[name] = value
    return wired


def stored_callback_items() -> list[dict[str, Any]]:
    """The table's items for an SMS that was submitted, then delivered (a final status)."""
    from tests.unit.lookup.lookup_fakes import callback_body

    from receipts.models.callback import parse_callback
    from receipts.storage import EventStore

    writer = EventStore(None, "bench")  # type: ignore[arg-type]  # event_item makes no call
    received = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    return [
        _wire_item(
            writer.event_item(
                parse_callback(callback_body(sample)), received_at=received, gtrid=None
            )
        )
        for sample in ("01-sms-submitted", "02-sms-delivered")
    ]


def ingest_event() -> dict[str, Any]:
    from bench_ingest import signed_event

    return signed_event()


def lookup_event(api_key: str) -> dict[str, Any]:
    from tests.integration.lookup.lookup_harness import vendor_status_event

    return vendor_status_event(LOOKUP_TRANSID, api_key=api_key)


def alert_bodies(count: int) -> list[str]:
    from tests.unit.alerts.doubles import body_for_transid

    samples = ("03-sms-un-delivered", "36-email-bounce", "14-push-android_pushid-failed")
    return [
        body_for_transid(samples[index % len(samples)], f"{ALERT_TRANSID}-{index:05d}")
        for index in range(count)
    ]


def sqs_batch(bodies: list[str]) -> dict[str, Any]:
    from tests.unit.alerts.doubles import sqs_event

    return sqs_event(*bodies)


# ---- cold starts ------------------------------------------------------------------------------

_CONTEXT = """
class CONTEXT:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"
    def get_remaining_time_in_millis(self=None):
        return 28000  # the alerts function has 30 s; SNS needs 10 s left to be tried
CONTEXT = CONTEXT()
"""

_FIRST_INVOCATION = {
    "IngestFunction": (
        "from ingest.handler import lambda_handler\n"
        "response = lambda_handler(EVENT, CONTEXT)\n"
        "assert response['statusCode'] == 200, response"
    ),
    "LookupFunction": (
        "from lookup.handler import lambda_handler\n"
        "response = lambda_handler(EVENT, CONTEXT)\n"
        "assert response['statusCode'] == 200, response\n"
        "assert response['headers']['x-answer-source'] == 'callbacks', response"
    ),
    "AlertsFunction": (
        "from alerts.handler import lambda_handler\n"
        "response = lambda_handler(EVENT, CONTEXT)\n"
        "assert response == {'batchItemFailures': []}, response"
    ),
    "WebConsoleFunction": (
        "from web_console.handler import lambda_handler\n"
        "response = lambda_handler(EVENT, CONTEXT)\n"
        "assert response['statusCode'] == 200, response\n"
        "assert 'Content-Security-Policy' in response['headers'], response"
    ),
}
BASELINE_COLD = "import boto3\nboto3.client('dynamodb')"


def cold_snippet(function: str, event: Any, parameters: Mapping[str, str], query: list[Any]) -> str:
    setup = f"EVENT = {event!r}\nPARAMETERS = {dict(parameters)!r}\nQUERY = {query!r}\n" + _CONTEXT
    # Everything but the event is timed: boto3, the stub, the handler's imports, the call.
    stub = (
        ""
        if function in WITHOUT_AWS
        else "import _aws_stub\n_aws_stub.install(parameters=PARAMETERS, query_items=QUERY)\n"
    )
    timed = stub + _FIRST_INVOCATION[function]
    return setup + timed_snippet(timed)


def cold_starts(deployed: Deployed, runs: int) -> dict[str, float]:
    """Median CPU seconds per variant; each round runs every variant once."""
    from bench_ingest import copy_without_bytecode

    pythonpath = os.pathsep.join(str(path) for path in (*CODE_PATHS, BENCHMARKS, REPO_ROOT))
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "POWERTOOLS_"))
    }
    parameters = deployed.secret_parameters
    events = {
        "IngestFunction": (ingest_event(), []),
        "LookupFunction": (lookup_event(SECRET_VALUES["lookup-api-keys"]), stored_callback_items()),
        "AlertsFunction": (sqs_batch(alert_bodies(1)), []),
        "WebConsoleFunction": ({"routeKey": "GET /console", "headers": {}}, []),
    }
    variants: dict[str, tuple[str, dict[str, str]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-unbuilt-") as unbuilt:
        copy_without_bytecode(Path(unbuilt), ("ingest", "lookup", "alerts", "web_console"))
        for function in FUNCTIONS:
            environment = {
                **base,
                **deployed.environments[function],
                **BASE_ENVIRONMENT,
                "PYTHONPATH": pythonpath,
            }
            event, query = events[function]
            code = cold_snippet(function, event, parameters, query)
            variants[function] = (code, environment)
            variants[f"{function} (no byte-code)"] = (
                code,
                {
                    **environment,
                    "PYTHONPATH": os.pathsep.join([unbuilt, pythonpath]),
                    "PYTHONDONTWRITEBYTECODE": "1",
                },
            )
        variants["baseline"] = (
            timed_snippet(BASELINE_COLD),
            {**base, **BASE_ENVIRONMENT, "PYTHONPATH": pythonpath},
        )
        # One untimed round writes the byte-code caches a built package would ship.
        for code, environment in variants.values():
            fresh_process_times(code, environment)[1]
        timings: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(runs):
            for name, (code, environment) in variants.items():
                timings[name].append(fresh_process_times(code, environment)[1])
    return {name: statistics.median(values) for name, values in timings.items()}


# ---- warm costs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    measured: float  # seconds per call (per record for alerts)
    baseline: float
    ratio: float  # median of per-round ratios


def _pair(measured: Callable[[], object], baseline: Callable[[], object], per: int = 1) -> Pair:
    from bench_ingest import interleaved

    seconds, baseline_seconds, ratio = interleaved(measured, baseline)
    return Pair(seconds / per, baseline_seconds / per, ratio)


@dataclass(frozen=True)
class IngestLogBytes:
    """What the ingest function writes to its log stream per new callback."""

    per_invocation: float  # mean over every timed invocation, at the template's sample rate
    invocations: int
    sample_rate: float
    sampled_line: int  # what a callback sampled at INFO adds to its invocation


def warm_ingest(sink: CountingSink) -> tuple[Pair, IngestLogBytes]:
    """Per new callback, and the bytes it logs (sampled log line and metrics)."""
    from bench_ingest import SECRET, Context, baseline_handler, botocore_stub
    from ingest.dependencies import IngestDependencies, table_store
    from ingest.handler import lambda_handler
    from ingest.settings import IngestSettings, settings_from

    deployed = settings_from(os.environ)
    client, table = botocore_stub()

    def wired(settings: IngestSettings) -> IngestDependencies:
        return IngestDependencies(
            settings=settings, store=table_store(client, settings), secrets=lambda: (SECRET,)
        )

    dependencies = wired(deployed)
    event, context = ingest_event(), Context()
    assert lambda_handler(event, context, dependencies=dependencies)["statusCode"] == 200
    baseline = baseline_handler(client)
    invocations = logged = 0

    def new_callback() -> None:
        nonlocal invocations, logged
        table.items.clear()  # every call is a callback never seen before
        before = sink.bytes
        lambda_handler(event, context, dependencies=dependencies)
        logged += sink.bytes - before
        invocations += 1

    def minimal() -> None:
        table.items.clear()
        baseline(event, context)

    def logged_at(rate: float) -> int:
        table.items.clear()
        before = sink.bytes
        sampled = wired(replace(deployed, accepted_log_sample_rate=rate))
        lambda_handler(event, context, dependencies=sampled)
        return sink.bytes - before

    # Every timed call counts: at a 1% sample, a few thousand calls show the INFO share.
    pair = _pair(new_callback, minimal)
    return pair, IngestLogBytes(
        per_invocation=logged / invocations,
        invocations=invocations,
        sample_rate=deployed.accepted_log_sample_rate,
        sampled_line=logged_at(1.0) - logged_at(0.0),
    )


def warm_lookups() -> dict[str, Pair]:
    import boto3
    from tests.integration.lookup.lookup_harness import LambdaContextStub
    from tests.unit.lookup.lookup_fakes import FakeClock

    import _aws_stub
    from bench_lookup import POLICY, START, NoVendor, _cached_item
    from lookup.auth import ApiKeyVerifier
    from lookup.handler import lambda_handler
    from lookup.memory_cache import MemoryCache
    from lookup.service import LookupService, Remembered
    from lookup.wiring import LookupDependencies
    from receipts.storage import EventStore

    key = SECRET_VALUES["lookup-api-keys"]
    clock = FakeClock(START)
    cached = _wire_item(_cached_item(LOOKUP_TRANSID, clock))
    _aws_stub.install(cached_item=cached, query_items=[])
    client = boto3.client("dynamodb", region_name="us-east-1")
    memory = MemoryCache[Remembered](max_entries=100, clock=clock)
    service = LookupService(
        store=EventStore(client, "bench"), status_api=NoVendor(), memory=memory, policy=POLICY,
        clock=clock,
    )  # fmt: skip
    dependencies = LookupDependencies(service=service, api_keys=ApiKeyVerifier(lambda: (key,)))
    event, context = lookup_event(key), LambdaContextStub()
    first = lambda_handler(event, context, dependencies=dependencies)
    assert (first["statusCode"], first["headers"]["x-cache"]) == (200, "hit"), first
    answers = {LOOKUP_TRANSID: json.loads(first["body"])}
    headers = {"content-type": "application/json"}

    def memory_hit() -> None:
        lambda_handler(event, context, dependencies=dependencies)

    def table_hit() -> None:
        memory.clear()
        lambda_handler(event, context, dependencies=dependencies)

    def minimal_from_memory() -> None:
        transid = event["pathParameters"]["transactionid"]
        json.dumps({"statusCode": 200, "headers": headers, "body": json.dumps(answers[transid])})

    def minimal_from_table() -> None:
        transid = event["pathParameters"]["transactionid"]
        item = client.get_item(
            TableName="bench", Key={"pk": {"S": f"CACHE#{transid}"}, "sk": {"S": "STATUS"}}
        )["Item"]
        json.dumps({"statusCode": 200, "headers": headers, "body": str(item)})

    return {
        "memory": _pair(memory_hit, minimal_from_memory),
        "table": _pair(table_hit, minimal_from_table),
    }


def warm_alerts() -> Pair:
    import boto3
    from tests.unit.alerts.doubles import FakeLambdaContext, RecordingScheduler

    import _aws_stub
    from alerts.handler import lambda_handler
    from alerts.ledger import DynamoAlertLedger
    from alerts.service import AlertRules, AlertService, StormControl
    from alerts.settings import DEFAULT_ALERT_STATUSES
    from alerts.targets import SnsTarget
    from bench_alerts import FakeClock

    _aws_stub.install()
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    sns = boto3.client("sns", region_name="us-east-1")
    topic = os.environ["ALERT_TOPIC_ARN"]
    service = AlertService(
        # The stub answers "no alert yet" and "first of its window": every record is a new
        # alert, sent on its own, through the DynamoDB ledger's real requests.
        ledger=DynamoAlertLedger(dynamodb, "bench"),
        scheduler=RecordingScheduler(),
        targets=lambda: [SnsTarget(topic, lambda: sns)],
        rules=AlertRules(DEFAULT_ALERT_STATUSES),
        storm=StormControl(threshold=20, window_seconds=300),
        lookup_base_url="https://abc123.execute-api.us-east-1.amazonaws.com",
        clock=FakeClock(),
    )
    bodies = alert_bodies(10)
    batch, context = sqs_batch(bodies), FakeLambdaContext()
    assert lambda_handler(batch, context, service=service) == {"batchItemFailures": []}

    def alerts() -> None:
        lambda_handler(batch, context, service=service)

    def minimal() -> None:
        for record in batch["Records"]:
            json.loads(record["body"])
            sns.publish(TopicArn=topic, Subject="Delivery failed", Message=record["body"][:500])

    return _pair(alerts, minimal, per=len(bodies))


# ---- lookup vendor share, write units, sizes ----------------------------------------------------


def vendor_shares() -> dict[int, list[float]]:
    from bench_lookup import replay

    shares: dict[int, list[float]] = {}
    for processes in (1, 8):
        for seed in ZIPF_SEEDS:
            with contextlib.redirect_stdout(io.StringIO()):
                result = replay(2000, 20000, processes, seed=seed)
            shares.setdefault(processes, []).append(result["vendor_calls"] / result["lookups"])
    return shares


def write_units() -> dict[str, Any]:
    from bench_ingest import write_unit_figures

    return write_unit_figures()


def _newest_source() -> float:
    newest = (REPO_ROOT / "template.yaml").stat().st_mtime
    for root in (REPO_ROOT / "functions", REPO_ROOT / "layers" / "shared"):
        for path in root.rglob("*"):
            if "__pycache__" not in path.parts and path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


def ensure_build() -> str:
    """Run ``make build`` when the build is missing or older than the sources."""
    marker = REPO_ROOT / ".aws-sam" / "build.toml"
    fresh = BUILD_DIR.is_dir() and all(
        (BUILD_DIR / name).is_dir() for name in (*FUNCTIONS, "SharedLayer")
    )
    if fresh and marker.exists() and marker.stat().st_mtime >= _newest_source():
        return "build up to date"
    print("running make build ...", file=sys.stderr)
    subprocess.run(["make", "build"], cwd=REPO_ROOT, check=True, capture_output=True)
    return "rebuilt by make build"


def build_ships_bytecode() -> bool:
    """Whether ``make build`` compiled the packages for the runtime (python3.13)."""
    return any(BUILD_DIR.glob("*/**/*.cpython-313.pyc"))


def package_sizes() -> dict[str, tuple[int, int]]:
    """Unzipped and zipped bytes of each built artefact."""
    sizes = {}
    for name in ("SharedLayer", *FUNCTIONS):
        folder = BUILD_DIR / name
        files = [path for path in folder.rglob("*") if path.is_file()]
        unzipped = sum(path.stat().st_size for path in files)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.relative_to(folder))
        sizes[name] = (unzipped, buffer.tell())
        if not files:
            raise RuntimeError(f"{folder} is empty: make build did not build {name}")
    return sizes


# ---- the table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    figure: str
    measured: str
    baseline: str
    ratio: str


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:,.2f} MB"


def markdown(rows: list[Row]) -> str:
    lines = ["| Figure | Measured | Baseline | Ratio |", "| --- | --- | --- | --- |"]
    lines.extend(f"| {r.figure} | {r.measured} | {r.baseline} | {r.ratio} |" for r in rows)
    return "\n".join(lines)


@contextlib.contextmanager
def _step(name: str) -> Iterator[None]:
    started = time.perf_counter()
    print(f"{name} ...", file=sys.stderr, flush=True)
    yield
    print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per cold start")
    parser.add_argument("--output", type=Path, default=LATEST_PATH)
    options = parser.parse_args(arguments)
    started = time.perf_counter()
    deployed = deployed_settings()
    import bench_ingest  # noqa: F401  # sets its own variables on import: the template's win

    apply_environment(deployed)
    # The functions write their log lines and metrics to stdout, as in Lambda; their logger
    # takes the stream when first imported, so stdout is the counting sink from here on.
    real_stdout, sink = sys.stdout, CountingSink()
    sys.stdout = sink
    try:
        with _step("deployment packages"):
            build_state = ensure_build()
            sizes = package_sizes()
            bytecode = build_ships_bytecode()
        with _step("cold starts"):
            cold = cold_starts(deployed, max(3, options.runs))
        with _step("warm costs"):
            ingest, ingest_logs = warm_ingest(sink)
            lookups = warm_lookups()
            alerts = warm_alerts()
        with _step("lookup replay"):
            shares = vendor_shares()
        with _step("reconcile sweep"):
            from bench_reconcile import measure as measure_reconcile

            reconcile = measure_reconcile()
        with _step("reports"):
            from bench_reports import measure as measure_reports

            reports = measure_reports()
        with _step("write units and cost"):
            units = write_units()
        with _step("capacity model"):
            from capacity import hottest_write_key

            hottest = hottest_write_key()
    finally:
        sys.stdout = real_stdout

    from cost_model import CallbackProfile, cost_per_million_callbacks, load_prices

    prices = load_prices()
    table_units = statistics.mean(units["table_units"])
    index_units = statistics.mean(units["index_units"])
    memory_mb = deployed.memory_mb["IngestFunction"]
    billed_ms = math.ceil(ingest.measured * 1000 + DYNAMODB_ROUND_TRIP_MS)
    baseline_billed_ms = math.ceil(ingest.baseline * 1000 + DYNAMODB_ROUND_TRIP_MS)
    cost = cost_per_million_callbacks(
        CallbackProfile(
            billed_ms,
            memory_mb,
            table_units,
            index_units,
            ingest_logs.per_invocation,
            FAILURE_SHARE,
            PLATFORM_LOG_BYTES,
        ),
        prices,
    )
    baseline_cost = cost_per_million_callbacks(
        CallbackProfile(baseline_billed_ms, memory_mb, 1.0, 0.0, 0.0, 0.0, PLATFORM_LOG_BYTES),
        prices,
    )

    max_units = max(a + b for a, b in zip(units["table_units"], units["index_units"], strict=True))
    rows: list[Row] = []
    labels = {
        "IngestFunction": "ingest",
        "LookupFunction": "lookup",
        "AlertsFunction": "alerts",
        "WebConsoleFunction": "web console",
    }
    first = {
        "IngestFunction": "callback",
        "LookupFunction": "look-up",
        "AlertsFunction": "alert batch",
        "WebConsoleFunction": "page (no boto3)",
    }
    for function in FUNCTIONS:
        for variant, suffix in (
            ("", ", with byte-code"),
            (" (no byte-code)", ", without byte-code (compiled at each cold start)"),
        ):
            seconds = cold[function + variant]
            rows.append(
                Row(
                    f"Cold start, {labels[function]}: import + first {first[function]}{suffix}",
                    _ms(seconds),
                    f"`import boto3` + one client: {_ms(cold['baseline'])}",
                    f"{seconds / cold['baseline']:.2f}x",
                )
            )
    rows.extend(
        [
            Row(
                "Warm, per new callback (ingest)",
                _us(ingest.measured),
                f"`json.loads` + `put_item`: {_us(ingest.baseline)}",
                f"{ingest.ratio:.2f}x",
            ),
            Row(
                "Warm, per look-up, memory-cache hit",
                _us(lookups["memory"].measured),
                f"answer from a dict: {_us(lookups['memory'].baseline)}",
                f"{lookups['memory'].ratio:.2f}x",
            ),
            Row(
                "Warm, per look-up, DynamoDB-cache hit",
                _us(lookups["table"].measured),
                f"one `get_item`: {_us(lookups['table'].baseline)}",
                f"{lookups['table'].ratio:.2f}x",
            ),
            Row(
                "Warm, per alert record (batches of 10, SNS)",
                _us(alerts.measured),
                f"`json.loads` + `publish`: {_us(alerts.baseline)}",
                f"{alerts.ratio:.2f}x",
            ),
        ]
    )
    for processes, values in shares.items():
        share = statistics.median(values)
        rows.append(
            Row(
                f"Look-ups reaching the vendor, Zipf s=1.1, {processes} warm process(es)",
                f"{share:.1%} (seeds {min(values):.1%}-{max(values):.1%})",
                "no cache: 100%",
                f"{share:.3f}x",
            )
        )
    from bench_reconcile import notes as reconcile_notes
    from bench_reconcile import table_rows as reconcile_rows

    rows.extend(Row(*row) for row in reconcile_rows(reconcile))
    from bench_reports import notes as reports_notes
    from bench_reports import table_rows as reports_rows

    rows.extend(Row(*row) for row in reports_rows(reports))
    rows.extend(
        [
            Row(
                "DynamoDB write units per new callback (table + indexes)",
                f"{table_units + index_units:.2f} WCU ({table_units:.2f} + {index_units:.2f}); "
                f"max {max_units}",
                "any write: 1 WCU",
                f"{table_units + index_units:.2f}x",
            ),
            Row(
                "Capacity at 10M callbacks/hour, 3x bursts: hottest partition key",
                f"{hottest.share:.1%} of a partition's write limit ({hottest.kind}, "
                f"{hottest.units_per_second:,.0f} WCU/s; `make capacity`)",
                "partition limit: 1,000 WCU/s",
                f"{hottest.share:.2f}x",
            ),
            Row(
                "Cost per million callbacks (us-east-1 list prices)",
                f"${cost['total']:.2f}",
                f"minimal handler: ${baseline_cost['total']:.2f}",
                f"{cost['total'] / baseline_cost['total']:.2f}x",
            ),
        ]
    )
    for name, (unzipped, zipped) in sizes.items():
        label = "shared layer" if name == "SharedLayer" else f"{labels[name]} function"
        rows.append(
            Row(
                f"Package size, {label}",
                f"{_mb(unzipped)} ({_mb(zipped)} zipped)",
                "Lambda limit: 250 MB unzipped",
                f"{unzipped / LAMBDA_UNZIPPED_LIMIT_BYTES:.2%} of it",
            )
        )

    breakdown = ", ".join(f"{line} ${value:.2f}" for line, value in cost.items() if line != "total")
    notes = [
        f"`make bench` ({datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()}-core x86_64 build machine, "
        f"Python {sys.version.split()[0]}; Lambda runs python3.13 on arm64, so absolute times "
        f"differ there, ratios less). {time.perf_counter() - started:,.0f} s in all.",
        f"Cold starts: CPU time, medians of {max(3, options.runs)} fresh processes per row, AWS "
        "stubbed at botocore's send hook; the first event goes through the deployed wiring "
        "(secrets from SSM).",
        "Warm: medians of 15 alternating rounds through `lambda_handler` (INFO logs, accepted "
        "callbacks sampled, and metrics, as deployed), the baseline on the same stubbed client.",
        f"Cost: {billed_ms} ms billed per callback (measured {ingest.measured * 1000:.2f} ms + "
        f"{DYNAMODB_ROUND_TRIP_MS:.0f} ms stated DynamoDB round trip), {memory_mb} MB "
        f"(template MemorySize), {ingest_logs.per_invocation:,.0f} log bytes per invocation "
        f"(measured: mean of {ingest_logs.invocations:,} calls with "
        f"{ingest_logs.sample_rate:.0%} of accepted callbacks logged at INFO, "
        f"{ingest_logs.sampled_line:,} bytes each) + {PLATFORM_LOG_BYTES:,.0f} from Lambda "
        f"(LoggingConfig: no START/END/REPORT lines), {FAILURE_SHARE:.0%} failures (stated); "
        f"prices as of "
        f"{load_prices_as_of()} in `benchmarks/prices.toml`. By service: {breakdown}.",
        f"Zipf: 2,000 transactions, 20,000 look-ups, seeds {', '.join(map(str, ZIPF_SEEDS))}. "
        f"Packages: `.aws-sam/build` ({build_state}); "
        + (
            "it ships byte-code for python3.13, so the with-byte-code cold starts are the "
            "deployed case."
            if bytecode
            else "it ships no byte-code (no python3.13 at build time), so the "
            "without-byte-code cold starts are the deployed case."
        ),
        reconcile_notes(reconcile),
        reports_notes(reports),
    ]
    report = markdown(rows) + "\n\n" + "\n".join(f"- {note}" for note in notes) + "\n"
    print(report)
    options.output.write_text(report, encoding="utf-8")
    if options.output == LATEST_PATH:
        from readme_section import update_readme

        update_readme()
    return 0


def load_prices_as_of() -> str:
    import tomllib

    with (BENCHMARKS / "prices.toml").open("rb") as handle:
        return str(tomllib.load(handle).get("as_of", "unknown"))


if __name__ == "__main__":
    raise SystemExit(main())
