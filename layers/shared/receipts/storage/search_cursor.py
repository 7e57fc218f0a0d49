"""The search's pagination token: the index position of the last event a page returned.

A search reads every write shard of its key (``receipts.storage.keys``) and merges them
newest first by ``match_sort`` (``{occurred}#{transid}``). An event's shard follows from its
transid, so events with one ``match_sort`` share a shard, and the last event of a page alone
says where every shard stands: the shard that holds it resumes right after it, every other
shard at what is strictly older. So the token holds one position whatever the number of
shards, and its size is bounded by one sort key and one index sort key.

The position is the event's ``match_sort`` and table sort key; its partition key is the
transaction key of the transid inside ``match_sort``, so it is rebuilt rather than carried
and can never name another transaction. The search key is not in the token either: the
store rebuilds every start key from the request's own search, so a token can only ever move
within the search that presents it.

The token is canonical JSON in unpadded base64url: the same position always gives the same
string, and a string that does not re-encode to itself is refused. A digest binds it to its
search (index and unsharded key) and to its own content. The digest is not a secret, so it
stops mistakes (a truncated copy, the token of another search) rather than a forger; what
stops a forger is that the position must look like this store's keys and that the search key
comes from the request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from typing import NamedTuple

from receipts.storage import keys

# Tokens of another layout (such as the earlier release's, a DynamoDB start key) are refused.
_VERSION = 1
# DynamoDB's limit on a sort key value, in bytes, for the table and its indexes alike.
_MAX_SORT_KEY_BYTES = 1024
# Two sort keys and a digest fit well within this; a token is a query parameter, and an
# API Gateway request line holds about 10 KB.
_MAX_TOKEN_CHARS = 4096
_TOKEN_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
_MATCH_SORT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#.+", re.DOTALL | re.ASCII)
_DIGEST = re.compile(r"[0-9a-f]{32}")
_INVALID = "the 'next' token is not valid"
_NOT_A_POSITION = "the 'next' token is not a position in this search"


class InvalidCursorError(ValueError):
    """A pagination token that this store did not issue for this search."""


class SearchIdentity(NamedTuple):
    """What a token is bound to: the index and the search key before sharding."""

    index_name: str
    key: str


class After(NamedTuple):
    """The index position of the last event a page returned."""

    match_sort: str
    sk: str

    @property
    def transid(self) -> str:
        # The time before the first '#' holds none; the transid may.
        return self.match_sort.partition("#")[2]

    @property
    def pk(self) -> str:
        return keys.transaction_key(self.transid)


def encode_cursor(search: SearchIdentity, after: After) -> str:
    body = [after.match_sort, after.sk]
    document = {"after": body, "digest": _digest(search, body), "v": _VERSION}
    return base64.urlsafe_b64encode(_canonical(document)).decode().rstrip("=")


def decode_cursor(cursor: str, *, search: SearchIdentity) -> After:
    """The position in a token issued for ``search``; anything else is refused."""
    document = _document(cursor)
    if (
        not isinstance(document, dict)
        or set(document) != {"after", "digest", "v"}
        # Not just ==: True and 1.0 equal 1, and would be other spellings of one token.
        or type(document["v"]) is not int
        or document["v"] != _VERSION
        or not isinstance(document["digest"], str)
        # compare_digest refuses non-ASCII text with a TypeError, not a False.
        or not _DIGEST.fullmatch(document["digest"])
    ):
        raise InvalidCursorError(_INVALID)
    body = document["after"]
    if not hmac.compare_digest(document["digest"], _digest(search, body)):
        raise InvalidCursorError("the 'next' token belongs to another search")
    return _position(body)


def _document(cursor: str) -> object:
    if len(cursor) > _MAX_TOKEN_CHARS or not _TOKEN_ALPHABET.fullmatch(cursor):
        raise InvalidCursorError(_INVALID)
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        document = json.loads(text.decode())
        # One string per position: base64's spare bits or another JSON spelling would make
        # two. Re-encoding also refuses escaped lone surrogates, which are not UTF-8.
        canonical = base64.urlsafe_b64encode(text).decode().rstrip("=") == cursor and (
            _canonical(document) == text
        )
    except (binascii.Error, ValueError, RecursionError) as error:
        raise InvalidCursorError(_INVALID) from error
    if not canonical:
        raise InvalidCursorError(_INVALID)
    return document


def _position(body: object) -> After:
    if not (isinstance(body, list) and len(body) == 2 and all(isinstance(v, str) for v in body)):
        raise InvalidCursorError(_NOT_A_POSITION)
    after = After(*body)
    if (
        not _MATCH_SORT.fullmatch(after.match_sort)
        or not after.sk.startswith(keys.EVENT_SORT_PREFIX)
        or len(after.match_sort.encode()) > _MAX_SORT_KEY_BYTES
        or len(after.sk.encode()) > _MAX_SORT_KEY_BYTES
    ):
        raise InvalidCursorError(_NOT_A_POSITION)
    return after


def _digest(search: SearchIdentity, body: object) -> str:
    bound = _canonical({"after": body, "search": [search.index_name, search.key], "v": _VERSION})
    return hashlib.blake2b(bound, digest_size=16).hexdigest()


def _canonical(document: object) -> bytes:
    # Keys read back from DynamoDB are valid UTF-8, so non-ASCII ids cost their UTF-8 bytes
    # rather than six-character escapes.
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
