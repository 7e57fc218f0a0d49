"""Imports at cold start: the cycle collector is off while they load, and what they loaded is
frozen afterwards, so no later collection scans it again."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from tests.fresh_interpreter import output_of

from receipts.cold_start import long_lived_imports


class _Loaded:
    """Stands for what an import creates: a tracked object that lives as long as the process."""


@pytest.fixture
def collector_state() -> Iterator[None]:
    # Every test here freezes objects; thawing them afterwards gives them back to the collector.
    was_enabled = gc.isenabled()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()
        else:
            gc.disable()


@pytest.mark.usefixtures("collector_state")
def test_the_collector_is_off_inside_and_on_again_after() -> None:
    gc.enable()

    with long_lived_imports():
        inside = gc.isenabled()

    assert inside is False
    assert gc.isenabled() is True


@pytest.mark.usefixtures("collector_state")
def test_what_was_loaded_inside_is_frozen_out_of_every_later_collection() -> None:
    gc.enable()
    frozen_before = gc.get_freeze_count()

    with long_lived_imports():
        loaded = _Loaded()

    assert gc.get_freeze_count() > frozen_before
    # gc.get_objects() lists the three generations a collection scans, not frozen objects.
    assert not any(item is loaded for item in gc.get_objects())
    created_after = _Loaded()
    assert any(item is created_after for item in gc.get_objects())


@pytest.mark.usefixtures("collector_state")
def test_a_collector_turned_off_by_someone_else_stays_off() -> None:
    gc.disable()

    with long_lived_imports():
        pass

    assert gc.isenabled() is False


@pytest.mark.usefixtures("collector_state")
def test_a_failed_import_still_gives_the_collector_back() -> None:
    gc.enable()

    with pytest.raises(ModuleNotFoundError), long_lived_imports():
        import receipts.no_such_module  # type: ignore[import-not-found]  # noqa: F401

    assert gc.isenabled() is True


@pytest.mark.parametrize("handler", ["ingest.handler", "lookup.handler", "alerts.handler"])
def test_every_handler_leaves_what_its_imports_loaded_frozen(handler: str) -> None:
    output = output_of(
        f"import gc\nimport {handler}\nfrom botocore.exceptions import ClientError\n"
        "print('enabled', gc.isenabled())\n"
        "print('frozen', all(id(o) != id(ClientError) for o in gc.get_objects()))\n"
    )

    assert "enabled True" in output, output
    assert "frozen True" in output, output
