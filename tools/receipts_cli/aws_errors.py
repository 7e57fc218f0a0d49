"""AWS faults in the operator's terms: what to fix, and the exit code that says so."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from receipts.storage import StoreUnavailableError
from receipts_cli.errors import CliError, ExitCode

_NOT_AUTHORISED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
    }
)
# Refusals of one item, not of the whole table: the run goes on without it.
_ITEM_REFUSED = frozenset({"ConditionalCheckFailedException", "ValidationException"})
_NOT_FOUND = frozenset(
    {"ResourceNotFoundException", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}
)


def error_code(error: Any) -> str:
    """A botocore ClientError's code ("" for anything else)."""
    response = getattr(error, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


@contextmanager
def aws_errors(what: str) -> Iterator[None]:
    """Turn a botocore or table fault while doing ``what`` into a CliError."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    from ingest.errors import IngestError

    try:
        yield
    except IngestError as error:
        # The ingest logic's words for a table that refused a replay's write.
        code = error_code(error.__cause__)
        raise CliError(
            f"{what}: {error.message}",
            ExitCode.NOT_AUTHORISED if code in _NOT_AUTHORISED else ExitCode.UNAVAILABLE,
            code="not_authorised" if code in _NOT_AUTHORISED else "unavailable",
        ) from None
    except NoCredentialsError:
        raise CliError(
            f"{what}: no AWS credentials", ExitCode.NOT_AUTHORISED, code="no_credentials"
        ) from None
    except StoreUnavailableError as error:
        raise CliError(
            f"{what}: the table did not answer ({error}); try again",
            ExitCode.UNAVAILABLE,
            code="unavailable",
        ) from None
    except ClientError as error:
        code = error_code(error)
        if code in _NOT_AUTHORISED:
            raise CliError(
                f"{what}: AWS refused ({code}); check the credentials' permissions",
                ExitCode.NOT_AUTHORISED,
                code="not_authorised",
            ) from None
        if code in _ITEM_REFUSED:
            raise CliError(
                f"{what}: the table refused it ({code})", ExitCode.INCOMPLETE, code="refused"
            ) from None
        if code in _NOT_FOUND:
            raise CliError(
                f"{what}: {code} (is the stack deployed, and the region right?)",
                ExitCode.NOT_FOUND,
                code="not_found",
            ) from None
        raise CliError(f"{what}: {code}: {error}", ExitCode.UNAVAILABLE) from None
    except BotoCoreError as error:
        raise CliError(
            f"{what}: AWS could not be reached ({error})", ExitCode.UNAVAILABLE
        ) from None
