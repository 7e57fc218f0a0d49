"""The page's own rules, read from its files: no inline script or style, no eval, no HTML
strings, every module it imports and every element it looks up present, and a policy
that allows nothing unsafe."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from web_console.assets import STATIC
from web_console.headers import CONTENT_SECURITY_POLICY

SCRIPTS = sorted(STATIC.glob("*.js"))
PAGE = (STATIC / "index.html").read_text(encoding="utf-8")


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.scripts: list[dict[str, str | None]] = []
        self.inline: list[str] = []
        self.handlers: list[str] = []
        self.styles: list[str] = []
        self.links: list[dict[str, str | None]] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        self.handlers += [name for name in attributes if name.startswith("on")]
        if "style" in attributes:
            self.styles.append(tag)
        if tag == "style":
            self.styles.append("style element")
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
        if tag == "link":
            self.links.append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data)


@pytest.fixture(scope="module")
def markup() -> _Markup:
    parser = _Markup()
    parser.feed(PAGE)
    return parser


def test_the_page_has_no_inline_script_handler_or_style(markup: _Markup) -> None:
    assert markup.inline == []
    assert markup.handlers == []
    assert markup.styles == []
    assert markup.scripts == [{"type": "module", "src": "console/app.js"}]


def test_the_page_loads_only_its_own_files_relative_to_itself(markup: _Markup) -> None:
    stylesheets = [link["href"] for link in markup.links if link.get("rel") == "stylesheet"]

    assert stylesheets == ["console/console.css"]
    for reference in [*stylesheets, "console/app.js"]:
        assert (STATIC / reference.removeprefix("console/")).is_file()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: str(path.name))
def test_no_script_evaluates_strings_or_writes_html(script: Path) -> None:
    source = script.read_text(encoding="utf-8")
    forbidden = [
        r"\beval\s*\(",
        r"\bnew\s+Function\b",
        r"\binnerHTML\b",
        r"\bouterHTML\b",
        r"\binsertAdjacentHTML\b",
        r"\bdocument\.write",
        r"\bsetTimeout\s*\(\s*['\"`]",
        r"\bsetInterval\s*\(\s*['\"`]",
        r"https?://",
    ]
    found = [pattern for pattern in forbidden if re.search(pattern, source)]

    # The one URL allowed is the SVG namespace, which is a name, not an address to fetch.
    if r"https?://" in found and re.findall(r"https?://\S+", source) == [
        'http://www.w3.org/2000/svg";'
    ]:
        found.remove(r"https?://")
    assert found == []


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: str(path.name))
def test_every_import_names_a_shipped_module(script: Path) -> None:
    source = script.read_text(encoding="utf-8")
    imports = re.findall(r"^import\b[^;]*?from\s+(\S+);", source, re.MULTILINE | re.DOTALL)

    for module in imports:
        assert module.startswith('"./') and module.endswith('"'), module
        assert (STATIC / module.strip('"').removeprefix("./")).is_file(), module
    if script.name == "app.js":
        assert len(imports) >= 5


def test_every_module_is_preloaded_by_the_page(markup: _Markup) -> None:
    preloaded = {link["href"] for link in markup.links if link.get("rel") == "modulepreload"}

    assert preloaded == {f"console/{script.name}" for script in SCRIPTS if script.name != "app.js"}


def test_every_element_the_scripts_look_up_is_on_the_page(markup: _Markup) -> None:
    wanted: set[str] = set()
    for script in SCRIPTS:
        wanted |= set(re.findall(r"byId\(\"([\w-]+)\"\)", script.read_text(encoding="utf-8")))
    views = re.search(r"const VIEWS = \[([^\]]+)\]", (STATIC / "app.js").read_text("utf-8"))
    assert views is not None
    wanted |= set(re.findall(r"\"([\w-]+)\"", views.group(1)))

    assert wanted, "no look-up found: the pattern no longer matches the scripts"
    assert wanted - markup.ids == set()


def test_the_policy_allows_nothing_unsafe() -> None:
    directives = dict(part.partition(" ")[::2] for part in CONTENT_SECURITY_POLICY.split("; "))

    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["require-trusted-types-for"] == "'script'"
