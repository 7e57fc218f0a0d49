"""No secret in the template or in any file of the repository (tracked, or about to be).

Two scans over every text file git knows or would add (``git ls-files --cached --others
--exclude-standard``): well-known credential formats anywhere (AWS keys, private keys, Slack,
GitHub, Google and Stripe tokens, real-looking Slack webhook URLs), and random-looking
literals assigned to a secret-like name (``secret``, ``token``, ``api_key``, ``password``
...). Test values are written to be readable (``fake-vendor-service-key``); the few published
test vectors that must look random are listed below with their reason.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_stack.template import load_template

REPO_ROOT = Path(__file__).resolve().parents[2]
TEXT_SUFFIXES = {
    ".py", ".yaml", ".yml", ".toml", ".json", ".md", ".txt", ".cfg", ".ini", ".sh", ".env",
    ".csv", ".html", ".xml", "",
}  # fmt: skip
SKIPPED_PARTS = {".git", ".venv", ".venv-sam", ".venv-scan", ".aws-sam", "node_modules"}

KNOWN_FORMATS = {
    "AWS access key id": re.compile(
        r"(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}(?![A-Z0-9])"
    ),
    "AWS secret access key": re.compile(
        r"(?i)aws_?secret_?access_?key\s*[:=]\s*['\"]?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])"
    ),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY"),
    "Slack token": re.compile(r"xox[abposr]-[0-9A-Za-z]{10,}-[0-9A-Za-z-]{10,}"),
    "Slack webhook URL": re.compile(
        r"hooks\.slack\.com/services/T[A-Z0-9]{8,}/B[A-Z0-9]{8,}/[A-Za-z0-9]{24}"
    ),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "Stripe live key": re.compile(r"\b[rs]k_live_[0-9A-Za-z]{20,}\b"),
}
SECRET_NAME = re.compile(
    r"(?i)(secret|passw(?:or)?d|token|api[_-]?key|apikey|private[_-]?key|service[_-]?key|"
    r"signing[_-]?key|credential)"
)
ASSIGNMENT = re.compile(
    r"""(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)["']?\s*(?:=|:)\s*[rbf]?["'](?P<value>[^"'\n]{8,})["']"""
)
# Published test vectors, not secrets of anyone's: value -> why it is in the repository.
ALLOWED_LITERALS = {
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw": (
        "the Standard Webhooks specification's own signing test vector"
    ),
    "9213d63daa6e8416ab4f0cc1bb0f23e4f78cfe42e4c5193b2102ab5844371f7b": (
        "a made-up push device token in the masking tests"
    ),
}


def repository_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    files = []
    for name in listed:
        path = REPO_ROOT / name
        if SKIPPED_PARTS & set(path.relative_to(REPO_ROOT).parts) or not path.is_file():
            continue
        if path.suffix.lower() in TEXT_SUFFIXES or path.name in {"Makefile", "Dockerfile"}:
            files.append(path)
    return files


def shannon_entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_random(value: str) -> str | None:
    """The part of ``value`` that looks like a generated secret, if any."""
    for run in re.findall(r"[A-Za-z0-9+/=_\-]{20,}", value):
        if run in ALLOWED_LITERALS:
            continue
        hexadecimal = re.fullmatch(r"[0-9a-fA-F]{32,}", run)
        mixed = re.search(r"[a-z]", run) and re.search(r"[A-Z]", run) and re.search(r"\d", run)
        if (hexadecimal and shannon_entropy(run) >= 3.3) or (mixed and shannon_entropy(run) >= 4.2):
            return run
    return None


def findings(path: Path) -> Iterator[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return
    relative = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path.name
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, pattern in KNOWN_FORMATS.items():
            if pattern.search(line):
                yield f"{relative}:{number}: {kind}"
        for match in ASSIGNMENT.finditer(line):
            if SECRET_NAME.search(match.group("name")) and (
                run := looks_random(match.group("value"))
            ):
                yield f"{relative}:{number}: random-looking {match.group('name')} ({run[:6]}...)"


def test_the_scan_covers_the_code_the_template_and_the_tests() -> None:
    scanned = {path.relative_to(REPO_ROOT).as_posix() for path in repository_files()}

    assert "template.yaml" in scanned
    assert "functions/ingest/handler.py" in scanned
    assert "layers/shared/receipts/secret_values.py" in scanned
    assert any(name.startswith("tests/") for name in scanned)
    assert not any(name.startswith(".venv") for name in scanned)


def test_no_file_holds_a_credential_or_a_random_looking_secret() -> None:
    found = [finding for path in repository_files() for finding in findings(path)]

    assert found == []


# Assembled at run time, so that this file itself holds none of them.
PLANTED = [
    ('aws_key = "' + "AKIA" + "IOSFODNN7EXAMPLE" + '"', "AWS access key id"),
    ("-----BEGIN RSA " + "PRIVATE KEY-----", "private key"),
    (
        "https://hooks.slack.com/services/" + "T0ABCDEFG/B0ABCDEFG/" + "abcdefghijklmnopqrstuvwx",
        "Slack webhook URL",
    ),
    ('api_key = "' + "Zm9vYmFyYmF6cXV4" + "MTIzNDU2Nzg5MEFCQ0RFRg" + '"', "random-looking api_key"),
    (
        'SIGNING_SECRET: "'
        + "e3b0c44298fc1c149afbf4c8996fb924"
        + "27ae41e4649b934ca495991b7852b855"
        + '"',
        "random-looking SIGNING_SECRET",
    ),
]


@pytest.mark.parametrize(("line", "expected"), PLANTED)
def test_the_scan_finds_what_it_looks_for(tmp_path: Path, line: str, expected: str) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(line + "\n", encoding="utf-8")

    found = list(findings(planted))

    assert any(expected in finding for finding in found), found


@pytest.mark.parametrize(
    "line",
    [
        'DEFAULT_SERVICE_KEY = "fake-vendor-service-key"',
        'CALLBACK_SECRET_REFERENCE: "ssm:/imiconnect-receipts/dev/callback-secret"',
        '"slack": "https://hooks.slack.com/services/T000/B000/XXXXXXXX"',
        'SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"',
    ],
)
def test_readable_test_values_references_and_placeholders_pass(tmp_path: Path, line: str) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(line + "\n", encoding="utf-8")

    assert list(findings(planted)) == []


# ---- the template ------------------------------------------------------------------------


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for inner in value.values():
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


def test_the_template_names_where_secrets_live_and_never_holds_one() -> None:
    template = load_template()
    parameters = template["Parameters"]
    functions = {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }

    # No parameter takes a secret (so none needs NoEcho), and no default is one; these three
    # name where secrets are kept, and which header carries one.
    settings_about_secrets = {"SecretsPrefix", "SecretStore", "CallbackApiKeyHeader"}
    for name, parameter in parameters.items():
        assert not SECRET_NAME.search(name) or name in settings_about_secrets, name
        default = str(parameter.get("Default", ""))
        assert looks_random(default) is None, name
    # Every function variable that concerns a secret is a reference into the secrets path.
    for name, function in functions.items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        for variable, value in variables.items():
            if SECRET_NAME.search(variable) and variable != "CALLBACK_API_KEY_HEADER":
                assert variable.endswith("_REFERENCE"), f"{name}.{variable}"
                assert value == {
                    "Fn::Sub": "${SecretStore}:/${SecretsPrefix}/${Stage}/"
                    + value["Fn::Sub"].rsplit("/", 1)[-1]
                }, f"{name}.{variable}"
    # And no literal anywhere in it looks like a credential.
    for value in _walk(template):
        if isinstance(value, str):
            assert looks_random(value) is None, value[:20]
            for kind, pattern in KNOWN_FORMATS.items():
                assert not pattern.search(value), kind
