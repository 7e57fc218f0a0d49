"""Lambda entry point of the lookup function (HTTP API, payload 2.0)."""

from __future__ import annotations

from typing import Any

from receipts.cold_start import long_lived_imports

# Without the cycle collector scanning what the imports load (receipts.cold_start).
with long_lived_imports():
    from aws_lambda_powertools.logging import correlation_paths
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from lookup.api import handle
    from lookup.telemetry import logger, metrics
    from lookup.wiring import LookupDependencies, default_dependencies


# log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event holds API keys (in
# headers, and in the path of the older clients' form).
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False
)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any],
    context: LambdaContext,
    dependencies: LookupDependencies | None = None,
) -> dict[str, Any]:
    return handle(event, context, dependencies or default_dependencies())
