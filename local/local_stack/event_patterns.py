"""EventBridge-style filter patterns, as Lambda's event source filters apply them.

A pattern is a JSON object mirroring the event: a nested object matches the event's object
under the same key; a list matches the event's value there when any of its entries does.
An entry is a literal (string, number, boolean, null) or one of the operators the template's
filters use: ``{"prefix": ...}``, ``{"suffix": ...}``, ``{"equals-ignore-case": ...}``,
``{"exists": true|false}``, ``{"anything-but": ...}`` and ``{"numeric": [...]}``. An event
value that is a list matches when any of its elements does. As in EventBridge, matching is
on leaves: ``exists``, literals and operators never match an object.

Lambda keeps a record when any of the filters' patterns matches it, and every record when
there is no filter. An operator this module does not know is refused with ``PatternError``
(by ``validate_pattern`` when the template is read), never silently read as "no match".
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

_MISSING = object()
_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_OPERATORS = ("prefix", "suffix", "equals-ignore-case", "exists", "anything-but", "numeric")
_ANYTHING_BUT_OPERATORS = ("prefix", "suffix", "equals-ignore-case")


class PatternError(ValueError):
    """A filter pattern Lambda would refuse, or one this emulation cannot evaluate."""


def matches_any(patterns: Sequence[Mapping[str, Any]], event: Mapping[str, Any]) -> bool:
    """Whether Lambda's filter criteria keep ``event``: no pattern keeps everything."""
    return not patterns or any(matches(pattern, event) for pattern in patterns)


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether one pattern matches ``event`` (an object, as a record or its parts are)."""
    if not isinstance(event, Mapping):
        return False
    for key, expected in pattern.items():
        value = event.get(key, _MISSING)
        if isinstance(expected, Mapping):
            if not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if not _matches_entries(expected, value):
                return False
        else:
            raise PatternError(f"pattern value of {key!r} must be an object or a list")
    return True


def validate_pattern(pattern: Any) -> None:
    """Refuse a pattern that ``matches`` could not evaluate, naming where it is wrong."""
    if not isinstance(pattern, Mapping):
        raise PatternError(f"a filter pattern must be a JSON object, not {pattern!r}")
    for key, expected in pattern.items():
        if isinstance(expected, Mapping):
            validate_pattern(expected)
        elif isinstance(expected, list):
            for entry in expected:
                if isinstance(entry, Mapping):
                    _validate_operator(entry)
        else:
            raise PatternError(f"pattern value of {key!r} must be an object or a list")


def _validate_operator(entry: Mapping[str, Any]) -> None:
    if len(entry) != 1 or next(iter(entry)) not in _OPERATORS:
        raise PatternError(f"unsupported filter operator {dict(entry)!r}")
    ((name, argument),) = entry.items()
    if name == "exists" and not isinstance(argument, bool):
        raise PatternError(f"exists takes true or false, not {argument!r}")
    if name == "numeric":
        _numeric_conditions(argument)
    if name == "anything-but" and isinstance(argument, Mapping):
        _validate_anything_but_operand(argument)


def _validate_anything_but_operand(operand: Mapping[str, Any]) -> None:
    if len(operand) != 1 or next(iter(operand)) not in _ANYTHING_BUT_OPERATORS:
        raise PatternError(f"unsupported anything-but operand {dict(operand)!r}")


def _matches_entries(entries: Sequence[Any], value: Any) -> bool:
    present = value is not _MISSING
    for entry in entries:
        if isinstance(entry, Mapping) and "exists" in entry:
            _validate_operator(entry)
            if present and not isinstance(value, Mapping):
                if entry["exists"]:
                    return True
            elif not present and not entry["exists"]:
                return True
            continue
        if not present:
            continue
        candidates = value if isinstance(value, list) else [value]
        if any(_matches_entry(entry, candidate) for candidate in candidates):
            return True
    return False


def _matches_entry(entry: Any, value: Any) -> bool:
    if isinstance(value, Mapping):
        return False
    if not isinstance(entry, Mapping):
        return _same_literal(entry, value)
    _validate_operator(entry)
    ((name, argument),) = entry.items()
    if name == "prefix":
        return isinstance(value, str) and value.startswith(str(argument))
    if name == "suffix":
        return isinstance(value, str) and value.endswith(str(argument))
    if name == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == str(argument).casefold()
    if name == "numeric":
        return _is_number(value) and all(
            compare(float(value), bound) for compare, bound in _numeric_conditions(argument)
        )
    return _matches_anything_but(argument, value)


def _matches_anything_but(argument: Any, value: Any) -> bool:
    if isinstance(argument, Mapping):
        # {"anything-but": {"prefix": "x"}}: any value the inner operator would refuse.
        return isinstance(value, str) and not _matches_entry(dict(argument), value)
    excluded = argument if isinstance(argument, list) else [argument]
    return not any(_same_literal(item, value) for item in excluded)


def _same_literal(expected: Any, value: Any) -> bool:
    # JSON's types, not Python's: true is not 1, and 5 equals 5.0.
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(expected, bool) and isinstance(value, bool) and expected == value
    if _is_number(expected) and _is_number(value):
        return float(expected) == float(value)
    return type(expected) is type(value) and bool(expected == value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric_conditions(argument: Any) -> list[tuple[Callable[[float, float], bool], float]]:
    if not isinstance(argument, list) or not argument or len(argument) % 2:
        raise PatternError(f"numeric takes operator/number pairs, not {argument!r}")
    conditions = []
    for symbol, bound in zip(argument[::2], argument[1::2], strict=True):
        if symbol not in _COMPARISONS or not _is_number(bound):
            raise PatternError(f"numeric condition {symbol!r} {bound!r} is not supported")
        conditions.append((_COMPARISONS[symbol], float(bound)))
    return conditions
