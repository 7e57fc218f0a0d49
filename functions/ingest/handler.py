"""Lambda entry point for ``POST /callbacks`` and the console's ``HEAD``/``GET`` probes."""

from __future__ import annotations

from typing import Any

from receipts.cold_start import long_lived_imports

# Powertools, botocore and the layer's modules load here on a cold start: without
# the cycle collector scanning them as they load (receipts.cold_start). Here, around every
# import, because the first collection that pays for boto3's objects falls wherever the
# imports happen to be when it triggers.
with long_lived_imports():
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from ingest.dependencies import IngestDependencies
    from ingest.observability import logger, metrics
    from ingest.routes import handle_event


# Never the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it holds the body's destinations
# and push ids, and the request's credentials.
@logger.inject_lambda_context(clear_state=True, log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(
    event: dict[str, Any],
    context: LambdaContext,
    dependencies: IngestDependencies | None = None,
) -> dict[str, Any]:
    """``dependencies`` is for tests and benchmarks; Lambda passes only event and context."""
    return handle_event(event, dependencies)
