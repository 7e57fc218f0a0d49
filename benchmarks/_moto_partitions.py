"""moto's DynamoDB queries, made to look at the one partition they name.

moto answers every Query by sorting every item of the table and comparing each one's key
with typed values: about 20 ms a query at a few hundred items, so a benchmark that runs
thousands of index queries over a table of thousands of items would take many minutes.
Within :func:`queries_read_one_partition`, a query's candidates are only the items whose
partition key (of the table, or of the index it names) equals the queried one; moto then
applies its own key conditions, order, limit, pages, filters and projections to them, as
before. The answers are the same, only found sooner (the unit tests compare them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_wanted = threading.local()


def _key_value(value: Any) -> Any:
    # The comparable value of a key attribute (S, N or B): what moto sorts keys by.
    return value.cast_value


def _sort_key(item: Any) -> Any:
    if item.range_key is not None:
        return (_key_value(item.hash_key), _key_value(item.range_key))
    return _key_value(item.hash_key)


def _scoped_all_items(original: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
    def all_items(table: Any) -> list[Any]:
        wanted = getattr(_wanted, "partition", None)
        if wanted is None:
            return original(table)
        name, value = wanted
        if name == table.hash_key_attr:
            partition = table.items.get(value)
            if partition is None:
                return []
            items = list(partition.values()) if table.range_key_attr else [partition]
        else:
            items = [
                item
                for partition in table.items.values()
                for item in (partition.values() if table.range_key_attr else [partition])
                if (found := item.attrs.get(name)) is not None
                and found.type == value.type
                and found.value == value.value
            ]
        return sorted(items, key=_sort_key)

    return all_items


def _scoped_query(original: Callable[..., Any]) -> Callable[..., Any]:
    def query(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # moto's Table.query(hash_key, range_comparison, range_objs, limit,
        # exclusive_start_key, scan_index_forward, projection_expressions, index_name, ...)
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions") or []
        if index_name and len(conditions) == 1:
            _wanted.partition = conditions[0]
        elif not index_name and hash_key is not None:
            _wanted.partition = (table.hash_key_attr, hash_key)
        try:
            return original(table, hash_key, *args, **kwargs)
        finally:
            _wanted.partition = None

    return query


@contextmanager
def queries_read_one_partition() -> Iterator[None]:
    """Within: moto's Query looks only at the partition it names (see the module)."""
    from moto.dynamodb.models.table import Table

    all_items, query = Table.all_items, Table.query
    Table.all_items = _scoped_all_items(all_items)  # type: ignore[method-assign, assignment]
    Table.query = _scoped_query(query)  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.all_items, Table.query = all_items, query  # type: ignore[method-assign]


@contextmanager
def moto_events_table(table: str, *, with_stream: bool = True) -> Iterator[Any]:
    """A session on an events table named ``table`` as the template declares it, in moto,
    with queries looking at the one partition they name.

    A session of its own: a stub installed on boto3's default session by another benchmark
    does not apply. ``with_stream=False`` leaves the stream out for a benchmark that never
    reads it: moto would otherwise copy every stream record at every transaction.
    """
    import boto3
    from moto import mock_aws

    from local_stack.template import table_definition

    definition = table_definition()
    if not with_stream:
        definition = {
            name: value for name, value in definition.items() if name != "StreamSpecification"
        }
    with mock_aws(), queries_read_one_partition():
        session = boto3.session.Session(
            aws_access_key_id="bench",
            aws_secret_access_key="bench",  # noqa: S106 - moto's placeholder
            region_name="us-east-1",
        )
        session.client("dynamodb").create_table(TableName=table, **definition)
        yield session
