"""Powertools' HTTP API resolver, matching a path parameter the way API Gateway does.

A route's ``{name}`` at API Gateway is any one path segment, and HTTP API hands the function
the path percent-decoded. Powertools matches the path again with its own pattern for a
parameter, which leaves out ``#``, ``?``, ``"``, backslash and backtick (characters a URL
carries only percent-encoded): a correlation id holding one (``order#1234``) found no route
here although API Gateway had matched it. Here a parameter is, as there, any run of
characters but ``/``; what a route then accepts is its own validation's business.
"""

from __future__ import annotations

import re

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

_PARAMETER = re.compile(r"<(\w+)>")


class SegmentResolver(APIGatewayHttpResolver):
    # Powertools' REST resolver overrides this same static method to change its matching.
    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "^{}$") -> re.Pattern[str]:
        return re.compile(base_regex.format(_PARAMETER.sub(r"(?P<\1>[^/]+)", rule)))
