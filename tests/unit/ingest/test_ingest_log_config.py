"""Lambda's log filter (LoggingConfig in the template's Globals) against what the code prints."""

from __future__ import annotations

from typing import Any

from tests.fresh_interpreter import output_of

from local_stack.template import load_template

FUNCTION_GLOBALS: dict[str, Any] = load_template()["Globals"]["Function"]


def test_lambda_drops_its_own_per_invocation_lines_but_keeps_info_and_metrics() -> None:
    logging_config = FUNCTION_GLOBALS["LoggingConfig"]
    variables = FUNCTION_GLOBALS["Environment"]["Variables"]

    # JSON is what lets Lambda filter at all; WARN drops START/END/REPORT on success.
    assert logging_config["LogFormat"] == "JSON"
    assert logging_config["SystemLogLevel"] == "WARN"
    # Lambda files an EMF line (no "level") as INFO: anything above INFO drops every metric.
    # The logger takes this level ahead of POWERTOOLS_LOG_LEVEL, so the two agree.
    assert logging_config["ApplicationLogLevel"] == variables["POWERTOOLS_LOG_LEVEL"] == "INFO"


def test_under_lambdas_log_level_the_logger_keeps_info_and_raises_no_warning() -> None:
    """Lambda sets AWS_LAMBDA_LOG_LEVEL from ApplicationLogLevel; Powertools warns when it is
    stricter than POWERTOOLS_LOG_LEVEL (a line could be lost)."""
    script = """
import logging, warnings
warnings.simplefilter("always")
from ingest.observability import logger, metrics, count
print("level", logging.getLevelName(logger.log_level))
count("Callbacks")
metrics.namespace = "tests"
metrics.flush_metrics()
"""
    output = output_of(
        script,
        AWS_LAMBDA_LOG_LEVEL="INFO",
        AWS_LAMBDA_LOG_FORMAT="JSON",
        POWERTOOLS_LOG_LEVEL=FUNCTION_GLOBALS["Environment"]["Variables"]["POWERTOOLS_LOG_LEVEL"],
    )

    assert "level INFO" in output, output
    assert "Advanced Logging Controls" not in output, output
    # The metric line has no "level" key: Lambda files it as INFO, which the filter keeps.
    (metric_line,) = [line for line in output.splitlines() if line.startswith('{"_aws"')]
    assert '"level"' not in metric_line
