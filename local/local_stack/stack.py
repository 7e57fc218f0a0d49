"""The whole product on one machine, without Docker: ``LocalStack(...).start()``.

What runs, all in this process:

- embedded AWS: moto's server on loopback, holding the template's table, queues and topics;
- the HTTP API emulator, calling the real handlers named in the template;
- the alerts pipe (table stream -> alerts queue) and the SQS poller (queue -> alerts handler);
- the functions' DynamoDB stream triggers (table stream -> function, on-failure queue);
- the schedules (the reconcile sweep), at a local interval much shorter than the deployed one;
- the alert sink (SNS topic -> terminal) and the console (chat webhooks, counters, faults);
- the IMIconnect simulator, posting signed callbacks to the webhook.

The functions read their settings from environment variables, which the stack resolves
from the template (``Globals`` and each function) and sets in this process, plus what can
only be local: the embedded AWS endpoint, the simulator as the vendor's base URL, the
emulator as the lookup base URL. Stopping restores the environment and leaves no thread.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import logging
import os
import socket
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from local_stack.alert_sink import AlertLog, SnsSink
from local_stack.api_stats import ApiStats
from local_stack.aws_faults import AwsFaultInjector
from local_stack.console import ReconcileUnavailableError, serve_console
from local_stack.functions import (
    FunctionSpec,
    ScheduleTrigger,
    StreamTrigger,
    function_specs,
    layer_content_uris,
    shared_environment,
)
from local_stack.http_api import FaultInjector, HttpApiEmulator, serve_http_api
from local_stack.intrinsics import Evaluator, TemplateError, resolve_parameters
from local_stack.lambda_runtime import Handler, LocalFunction
from local_stack.pipe import PipeSettings, StreamPipe
from local_stack.resources import QUEUE, ResourceCreator, StackResources
from local_stack.scheduler import ScheduleWorker, console_event, scheduled_event
from local_stack.secrets import (
    SECRET_VALUES,
    LocalCredentials,
    chat_webhooks_value,
    secret_references,
    store_secret,
)
from local_stack.sqs_poller import PollerSettings, SqsPoller
from local_stack.state import (
    DEFAULT_STATE_FILE,
    StackState,
    remove_state,
    shell_exports_file,
    write_shell_exports,
    write_state,
)
from local_stack.stream_trigger import StreamTriggerSettings, StreamTriggerWorker
from local_stack.template import TEMPLATE_PATH, load_template
from simulator.config import Signing, SimulatorConfig
from simulator.engine import Simulator
from simulator.http_server import LOOPBACK, LoopbackServer
from simulator.server import serve_simulator

LOGGER = logging.getLogger("local_stack")

# moto accepts any credentials; these only keep boto3 from looking for real ones.
_MOTO_PLACEHOLDER = "testing"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": _MOTO_PLACEHOLDER,
    "AWS_SECRET_ACCESS_KEY": _MOTO_PLACEHOLDER,
}
# Variables that would send boto3 somewhere else than the embedded AWS.
CLEARED_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CONFIG_FILE")
# Local defaults for template parameters (still validated against the template).
LOCAL_PARAMETERS = {"ChatWebhooksEnabled": "true"}
# The function the console's POST /reconcile runs, by its handler's module.
RECONCILE_HANDLER_MODULE = "reconcile.handler"
DISCOVERY_HANDLER_MODULE = "reconcile.discovery_handler"


@dataclass(frozen=True)
class StackOptions:
    """Ports (0 picks a free one), template parameters and local behaviour."""

    api_port: int = 3000
    aws_port: int = 5000
    simulator_port: int = 3100
    console_port: int = 3001
    host: str = LOOPBACK
    region: str = "us-east-1"
    stack_name: str = "imiconnect-receipts-local"
    template_path: Path = TEMPLATE_PATH
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    # The simulator's behaviour; its webhook, keys and signing secret are set by the stack.
    simulator: SimulatorConfig = field(default_factory=SimulatorConfig)
    # The functions' own log level locally (the template's INFO is chatty in a terminal).
    function_log_level: str | None = "WARNING"
    # Seconds before a failed alert record is visible again (the queue's own is 180).
    retry_visibility_seconds: int = 1
    # Seconds before a failed stream batch is retried (Lambda backs off for much longer).
    stream_retry_delay_seconds: float = 0.2
    # An auxiliary port that is taken falls back to a free one; the API port never does.
    fall_back_to_free_ports: bool = True
    state_file: Path | None = DEFAULT_STATE_FILE
    credentials: LocalCredentials | None = None
    # Handlers to use instead of importing the template's (logical id -> callable), for tests.
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    # Print an access-log line per API request.
    access_log: bool = True
    # Alerts the console keeps for GET /alerts (the most recent ones).
    alerts_kept: int = 1000
    # Seconds between runs of every schedule locally (the sweep's is 5 minutes deployed);
    # None keeps the template's intervals.
    reconcile_interval_seconds: float | None = 10.0
    # How long a transaction stays quiet before the sweep asks about it, locally (the
    # template's is 15 minutes); None keeps the template's.
    reconcile_after_seconds: float | None = 15.0


def port_is_free(host: str, port: int) -> bool:
    """Whether the stack's servers can bind ``port``: taken only by a live socket.

    The probe binds as the servers do (they set ``SO_REUSEADDR``, as every
    ``socketserver.TCPServer`` with ``allow_reuse_address``): the connections of a run that
    just stopped linger in TIME_WAIT and must not send a quick restart to other ports,
    while a port another process listens on is still refused.
    """
    if port == 0:
        return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if LoopbackServer.allow_reuse_address:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class LocalStack:
    def __init__(self, options: StackOptions | None = None) -> None:
        self.options = options or StackOptions()
        self.credentials = self.options.credentials or LocalCredentials()
        self.alerts = AlertLog(max_kept=self.options.alerts_kept)
        self.faults = FaultInjector()
        # Test hooks beside the API's faults: the vendor's status API and AWS calls.
        self.vendor_faults = FaultInjector()
        self.aws_faults = AwsFaultInjector()
        self.api_stats = ApiStats(access_log=self.options.access_log)
        self.state: StackState | None = None
        self.resources: StackResources | None = None
        self.functions: dict[str, LocalFunction] = {}
        self.simulator: Simulator | None = None
        self._moto: Any = None
        self._clients: dict[str, Any] = {}
        self._servers: list[LoopbackServer] = []
        self._workers: list[Any] = []
        self._saved_environment: dict[str, str | None] = {}
        self._saved_path: list[str] | None = None
        self._started = False

    # ---- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> StackState:
        if self._started:
            raise RuntimeError("the local stack is already running")
        self._started = True
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> StackState:
        options = self.options
        template = load_template(options.template_path)
        self._add_code_paths(template)
        aws_url = self._start_aws()
        parameters = resolve_parameters(
            template, {**LOCAL_PARAMETERS, **dict(options.parameter_overrides)}
        )
        resources = StackResources(options.stack_name, options.region)
        resources.emulated_refs["HttpApi"] = "local"
        evaluator = Evaluator(
            template,
            parameters,
            region=options.region,
            stack_name=options.stack_name,
            resolve_resource=lambda logical_id, attribute: resources.resolve(
                template, logical_id, attribute
            ),
        )
        self.resources = ResourceCreator(
            template, evaluator, resources, self._clients, options.template_path
        ).create_all()
        specs = function_specs(template, evaluator)
        self.functions = {
            logical_id: LocalFunction(
                spec,
                function_name=f"{options.stack_name}-{logical_id}",
                region=options.region,
                account_id=resources.account_id,
                handler=options.handlers.get(logical_id),
            )
            for logical_id, spec in specs.items()
        }

        # Bind every server first: their URLs go into the functions' settings.
        emulator = HttpApiEmulator(
            [route for spec in specs.values() for route in spec.routes],
            self.functions,
            faults=self.faults,
            observers=[self.api_stats.observe],
        )
        api = serve_http_api(emulator, options.api_port, options.host)
        self._servers.append(api)
        environment, conflicting = shared_environment(specs)
        simulator_config = replace(
            options.simulator,
            webhook_url=f"{api.url}/callbacks",
            service_keys={self.credentials.vendor_service_key: "local"},
            signing=self._callback_signing(environment),
            callback_headers=self._callback_headers(environment),
        )
        self.simulator = Simulator(simulator_config)
        simulator_server = serve_simulator(
            self.simulator,
            self._port(options.simulator_port),
            options.host,
            faults=self.vendor_faults,
        )
        self._servers.append(simulator_server)
        console = serve_console(
            self.alerts,
            self.faults,
            self.stats,
            self._port(options.console_port),
            options.host,
            signing_key=base64.b64decode(
                self.credentials.webhook_signing_secret.removeprefix("whsec_")
            ),
            vendor_faults=self.vendor_faults,
            aws_faults=self.aws_faults,
            run_reconcile=self.run_reconcile,
        )
        self._servers.append(console)

        environment.update(self._local_environment(api.url, simulator_server.url))
        if conflicting:
            LOGGER.debug("left out of the shared environment: %s", ", ".join(sorted(conflicting)))
        self._set_environment(environment)
        self._store_secrets(environment, console.url)
        self._start_workers(template, evaluator, specs)
        self.simulator.start()

        self.state = StackState(
            api_url=api.url,
            simulator_url=simulator_server.url,
            console_url=console.url,
            aws_endpoint_url=aws_url,
            region=options.region,
            callback_secret=self.credentials.callback_secret,
            lookup_api_key=self.credentials.lookup_api_key,
            vendor_service_key=self.credentials.vendor_service_key,
            callback_auth_mode=environment.get("CALLBACK_AUTH_MODE", "hub-signature"),
            callback_api_key_header=environment.get("CALLBACK_API_KEY_HEADER", "x-api-key"),
            callback_basic_user=self.credentials.callback_basic_user,
            callback_basic_password=self.credentials.callback_basic_password,
            callback_api_key=self.credentials.callback_api_key,
            resources={
                logical_id: created.ref for logical_id, created in resources.created.items()
            },
            parameters=dict(parameters),
        )
        if options.state_file is not None:
            # The exports first: whoever waits for the state file finds both.
            write_shell_exports(self.state, shell_exports_file(options.state_file))
            write_state(self.state, options.state_file)
        return self.state

    def stop(self) -> None:
        """Stop everything started, in reverse order; safe to call more than once."""
        if self.simulator is not None:
            self.simulator.stop()
        for server in reversed(self._servers):
            server.stop()
        self._servers.clear()
        # Every worker may be in a one-second long poll: let them all finish it together.
        for worker in self._workers:
            worker.signal_stop()
        for worker in reversed(self._workers):
            worker.stop()
        self._workers.clear()
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        self.aws_faults.uninstall()
        if self._moto is not None:
            host, port = self._moto.get_host_and_port()
            with contextlib.suppress(OSError):
                _reset_moto(f"http://{host}:{port}")
            self._moto.stop()
            self._moto = None
        self._restore_environment()
        if self.state is not None and self.options.state_file is not None:
            remove_state(self.options.state_file, self.state.pid)
        self._started = False

    # ---- parts --------------------------------------------------------------------------

    def _port(self, wanted: int) -> int:
        if port_is_free(self.options.host, wanted):
            return wanted
        if not self.options.fall_back_to_free_ports:
            raise OSError(f"port {wanted} on {self.options.host} is in use")
        LOGGER.info("port %d is in use; picking a free one", wanted)
        return 0

    def _add_code_paths(self, template: Mapping[str, Any]) -> None:
        """Make the functions' code and the layers importable, where the template says."""
        root = self.options.template_path.parent
        uris = {
            str(spec.get("Properties", {}).get("CodeUri", ".")) for spec in _functions(template)
        }
        paths = [str((root / uri).resolve()) for uri in [*layer_content_uris(template), *uris]]
        self._saved_path = list(sys.path)
        for path in reversed(paths):
            if path not in sys.path:
                sys.path.insert(0, path)

    def _start_aws(self) -> str:
        from moto.server import ThreadedMotoServer

        from local_stack import moto_transactions

        # The stream consumer writes its tallies in transactions: one table copy each.
        moto_transactions.install()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        port = self._port(self.options.aws_port)
        self._moto = ThreadedMotoServer(ip_address=self.options.host, port=port, verbose=False)
        self._moto.start()
        host, bound_port = self._moto.get_host_and_port()
        url = f"http://{host}:{bound_port}"
        # moto keeps its data per process, not per server: start from nothing.
        _reset_moto(url)
        self._set_environment(
            {
                **FAKE_CREDENTIALS,
                "AWS_ENDPOINT_URL": url,
                "AWS_DEFAULT_REGION": self.options.region,
                "AWS_REGION": self.options.region,
                "AWS_EC2_METADATA_DISABLED": "true",
            },
            clear=CLEARED_VARIABLES,
        )
        import boto3

        session = boto3.session.Session(
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=self.options.region,
        )
        # AWS fault rules apply to the functions' clients (boto3's default session) and the
        # stack's own (the pipe, the SQS poller); installed before either creates a client.
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        self.aws_faults.install(boto3.DEFAULT_SESSION)
        self.aws_faults.install(session)
        for service in ("dynamodb", "dynamodbstreams", "sqs", "sns", "ssm", "secretsmanager"):
            self._clients[service] = session.client(service, endpoint_url=url)
        return url

    def _local_environment(self, api_url: str, simulator_url: str) -> dict[str, str]:
        environment = {
            # The template insists on https for the vendor; locally the simulator is http.
            "VENDOR_BASE_URL": simulator_url,
            "LOOKUP_BASE_URL": api_url,
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
        if self.options.function_log_level:
            environment["POWERTOOLS_LOG_LEVEL"] = self.options.function_log_level
        if self.options.reconcile_after_seconds is not None:
            environment["RECONCILE_AFTER_MINUTES"] = _minutes(self.options.reconcile_after_seconds)
        # Metrics stay enabled, as in Lambda: disabled, Powertools never clears its metric
        # set, which then grows in a long-running process. The CLI hides the EMF lines.
        return environment

    def _callback_signing(self, environment: Mapping[str, str]) -> Signing:
        signing = self.options.simulator.signing
        if environment.get("CALLBACK_AUTH_MODE", "hub-signature") != "hub-signature":
            return replace(signing, secret=None)
        return replace(signing, secret=self.credentials.callback_secret)

    def _callback_headers(self, environment: Mapping[str, str]) -> dict[str, str]:
        headers = dict(self.options.simulator.callback_headers)
        mode = environment.get("CALLBACK_AUTH_MODE", "hub-signature")
        if mode == "basic":
            pair = (
                f"{self.credentials.callback_basic_user}:{self.credentials.callback_basic_password}"
            )
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        elif mode == "api-key":
            header = environment.get("CALLBACK_API_KEY_HEADER", "x-api-key")
            headers[header] = self.credentials.callback_api_key
        return headers

    def _store_secrets(self, environment: Mapping[str, str], console_url: str) -> None:
        for name, reference in secret_references(environment).items():
            if name == "CHAT_WEBHOOKS_REFERENCE":
                value = chat_webhooks_value(console_url, self.credentials.webhook_signing_secret)
            elif name in SECRET_VALUES:
                value = SECRET_VALUES[name](self.credentials, environment)
            else:
                LOGGER.warning("no local value for secret %s; storing a random one", name)
                value = LocalCredentials().callback_secret
            store_secret(reference, value, self._clients)

    def _start_workers(
        self, template: Mapping[str, Any], evaluator: Evaluator, specs: Mapping[str, FunctionSpec]
    ) -> None:
        resources = self._created_resources()
        queues_by_arn = {created.attributes["Arn"]: created for created in resources.of_type(QUEUE)}
        for logical_id, resource in template.get("Resources", {}).items():
            if resource.get("Type") != "AWS::Pipes::Pipe":
                continue
            properties = evaluator.evaluate(resource.get("Properties", {}))
            source = properties.get("SourceParameters", {}).get("DynamoDBStreamParameters", {})
            dead_letter = queues_by_arn.get(source.get("DeadLetterConfig", {}).get("Arn", ""))
            target = queues_by_arn[properties["Target"]]
            pipe = StreamPipe(
                PipeSettings(
                    stream_arn=properties["Source"],
                    target_queue_url=target.ref,
                    dead_letter_queue_url=dead_letter.ref if dead_letter else None,
                    batch_size=int(source.get("BatchSize", 10)),
                    starting_position=str(source.get("StartingPosition", "TRIM_HORIZON")),
                ),
                self._clients["dynamodbstreams"],
                self._clients["sqs"],
            )
            pipe.start()
            self._workers.append(pipe)
            LOGGER.debug("pipe %s: stream -> %s", logical_id, target.logical_id)
        for spec in specs.values():
            for trigger in spec.sqs_triggers:
                queue = resources.created[trigger.queue_logical_id]
                poller = SqsPoller(
                    PollerSettings(
                        queue_url=queue.ref,
                        queue_arn=queue.attributes["Arn"],
                        region=self.options.region,
                        batch_size=trigger.batch_size,
                        report_batch_item_failures=trigger.report_batch_item_failures,
                        retry_visibility_seconds=self.options.retry_visibility_seconds,
                    ),
                    self.functions[spec.logical_id],
                    self._clients["sqs"],
                )
                poller.start()
                self._workers.append(poller)
        self._start_stream_triggers(specs)
        self._start_schedules(specs)
        self._start_alert_sinks(template)

    def _start_stream_triggers(self, specs: Mapping[str, FunctionSpec]) -> None:
        for spec in specs.values():
            for trigger in spec.stream_triggers:
                worker = StreamTriggerWorker(
                    StreamTriggerSettings(
                        stream_arn=self._stream_arn(trigger),
                        region=self.options.region,
                        batch_size=trigger.batch_size,
                        batching_window_seconds=trigger.batching_window_seconds,
                        starting_position=trigger.starting_position,
                        report_batch_item_failures=trigger.report_batch_item_failures,
                        bisect_batch_on_function_error=trigger.bisect_batch_on_function_error,
                        maximum_retry_attempts=trigger.maximum_retry_attempts,
                        filter_patterns=trigger.filter_patterns,
                        on_failure_queue_url=self._on_failure_queue_url(trigger),
                        retry_delay_seconds=self.options.stream_retry_delay_seconds,
                    ),
                    self.functions[spec.logical_id],
                    self._clients["dynamodbstreams"],
                    self._clients["sqs"],
                    name=f"{spec.logical_id}.{trigger.name}",
                )
                worker.start()
                self._workers.append(worker)
                LOGGER.debug("stream trigger %s: %s", worker.name, worker.settings.stream_arn)

    def _stream_arn(self, trigger: StreamTrigger) -> str:
        if trigger.table_logical_id is None:
            return str(trigger.stream_arn)
        table = self._created_resources().created.get(trigger.table_logical_id)
        if table is None or "StreamArn" not in table.attributes:
            raise TemplateError(
                f"{trigger.function}.{trigger.name}: {trigger.table_logical_id} is not a table "
                "of the template with a stream"
            )
        return table.attributes["StreamArn"]

    def _on_failure_queue_url(self, trigger: StreamTrigger) -> str | None:
        logical_id = trigger.on_failure_queue_logical_id
        if logical_id is None:
            return None
        queue = self._created_resources().created.get(logical_id)
        if queue is None or queue.type != QUEUE:
            raise TemplateError(
                f"{trigger.function}.{trigger.name}: on-failure destination {logical_id} "
                "is not a queue of the template"
            )
        return queue.ref

    def _start_schedules(self, specs: Mapping[str, FunctionSpec]) -> None:
        account_id = self._created_resources().account_id
        for spec in specs.values():
            function = self.functions[spec.logical_id]
            for trigger in spec.schedules:
                rule_arn = (
                    f"arn:aws:events:{self.options.region}:{account_id}:rule/"
                    f"{function.function_name}-{trigger.name or 'schedule'}"
                )
                worker = ScheduleWorker(
                    trigger,
                    function,
                    # A constant input is the event itself, as EventBridge gives it.
                    partial(copy.deepcopy, trigger.input)
                    if trigger.input is not None
                    else partial(
                        scheduled_event,
                        rule_arn=rule_arn,
                        region=self.options.region,
                        account_id=account_id,
                    ),
                    interval_seconds=self.options.reconcile_interval_seconds,
                )
                worker.start()
                self._workers.append(worker)
                LOGGER.debug(
                    "schedule %s: %s, every %g s locally",
                    spec.logical_id,
                    trigger.expression,
                    worker.interval_seconds,
                )

    def run_reconcile(self, detail: dict[str, Any]) -> Any:
        """One reconcile pass now (the console's POST /reconcile): every part of discovery,
        one after another, then the asks; the asks' summary, with discovery's under
        ``discovery`` (its parts' summaries and their checked and watched summed)."""
        asks = self._function_of(RECONCILE_HANDLER_MODULE)
        if asks is None:
            raise ReconcileUnavailableError("this stack has no reconcile function")
        event = console_event(
            detail, region=self.options.region, account_id=self._created_resources().account_id
        )
        try:
            discovery = self._function_of(DISCOVERY_HANDLER_MODULE)
            triggers = [
                trigger
                for trigger in (discovery.spec.schedules if discovery else ())
                if isinstance(trigger.input, dict)
            ]
            if discovery and not triggers:
                # A pass without discovery would look complete and find nothing new.
                raise ReconcileUnavailableError(
                    "the discovery function has no schedule naming its parts"
                )
            parts = [
                self._run_now(discovery, {**event, **trigger.input}, trigger)
                for trigger in triggers
                if discovery
            ]
            summary = dict(self._run_now(asks, event, None))
        except Exception:
            LOGGER.exception("the reconcile run asked for on the console failed")
            raise
        summary["discovery"] = {
            "checked": sum(part["checked"] for part in parts),
            "watched": sum(part["watched"] for part in parts),
            "parts": parts,
        }
        return summary

    def _function_of(self, module: str) -> LocalFunction | None:
        return next((f for f in self.functions.values() if f.spec.module_name == module), None)

    def _run_now(
        self, function: LocalFunction, event: dict[str, Any], trigger: ScheduleTrigger | None
    ) -> Any:
        """Through the schedule's worker when there is one: never beside a scheduled run."""
        worker = next(
            (
                w
                for w in self._workers
                if isinstance(w, ScheduleWorker)
                and w.trigger.function == function.spec.logical_id
                and (trigger is None or w.trigger == trigger)
            ),
            None,
        )
        return worker.run_now(event) if worker else function.invoke(event).result

    def _start_alert_sinks(self, template: Mapping[str, Any]) -> None:
        """Every topic the functions publish to gets a queue subscriber printing its messages."""
        resources = self._created_resources()
        sqs, sns = self._clients["sqs"], self._clients["sns"]
        environment_values = {
            value for spec in self.functions.values() for value in spec.spec.environment.values()
        }
        for topic in resources.of_type("AWS::SNS::Topic"):
            if topic.ref not in environment_values:
                continue
            queue_name = f"{self.options.stack_name}-{topic.logical_id}-local-sink"
            url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            sns.subscribe(TopicArn=topic.ref, Protocol="sqs", Endpoint=arn)
            sink = SnsSink(url, sqs, self.alerts)
            sink.start()
            self._workers.append(sink)

    def _created_resources(self) -> StackResources:
        if self.resources is None:
            raise RuntimeError("the template's resources are not created yet")
        return self.resources

    # ---- environment --------------------------------------------------------------------

    def _set_environment(self, values: Mapping[str, str], clear: tuple[str, ...] = ()) -> None:
        for name in (*values, *clear):
            if name not in self._saved_environment:
                self._saved_environment[name] = os.environ.get(name)
        for name in clear:
            os.environ.pop(name, None)
        os.environ.update(values)

    def _restore_environment(self) -> None:
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment.clear()
        if self._saved_path is not None:
            sys.path[:] = self._saved_path
            self._saved_path = None

    # ---- observation --------------------------------------------------------------------

    def queue_depths(self) -> dict[str, dict[str, int]]:
        if self.resources is None or "sqs" not in self._clients:
            return {}
        depths: dict[str, dict[str, int]] = {}
        for queue in self.resources.of_type(QUEUE):
            attributes = self._clients["sqs"].get_queue_attributes(
                QueueUrl=queue.ref,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            depths[queue.logical_id] = {
                "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
                "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
            }
        return depths

    def stats(self) -> dict[str, Any]:
        workers: dict[str, Any] = {}
        for worker in self._workers:
            if isinstance(worker, StreamPipe):
                workers["pipe"] = {
                    "forwarded": worker.forwarded,
                    "filtered_out": worker.filtered_out,
                    "dead_lettered": worker.dead_lettered,
                }
            elif isinstance(worker, SqsPoller):
                workers["alerts_poller"] = {
                    "invocations": worker.invocations,
                    "succeeded": worker.succeeded,
                    "failed": worker.failed,
                }
            elif isinstance(worker, StreamTriggerWorker):
                workers.setdefault("stream_triggers", {})[worker.name] = worker.snapshot()
            elif isinstance(worker, ScheduleWorker):
                trigger = worker.trigger
                name = f"{trigger.function}.{trigger.name}" if trigger.name else trigger.function
                workers.setdefault("schedules", {})[name] = worker.snapshot()
        return {
            "api": self.api_stats.snapshot(),
            **workers,
            "alerts_received": self.alerts.total,
            "queues": self.queue_depths(),
            "simulator": self.simulator.stats() if self.simulator else {},
            "faults_injected": self.faults.injected,
            "vendor_faults_injected": self.vendor_faults.injected,
            "aws_faults_injected": self.aws_faults.injected,
        }


def _minutes(seconds: float) -> str:
    """Seconds as the decimal minutes the functions read: 15 -> "0.25"."""
    return f"{seconds / 60:.6g}"


def _reset_moto(url: str) -> None:
    import urllib.request

    if not url.startswith("http://"):
        raise ValueError(f"not the embedded AWS: {url}")
    reset = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    # The scheme is checked above: the embedded AWS on loopback.
    with urllib.request.urlopen(reset, timeout=10):  # nosec B310
        pass


def _functions(template: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            yield resource


@contextmanager
def running_stack(options: StackOptions | None = None) -> Iterator[LocalStack]:
    stack = LocalStack(options)
    with stack:
        yield stack
