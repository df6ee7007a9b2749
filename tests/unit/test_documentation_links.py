"""The front page and the manual stay whole: every relative link in README.md and docs/ leads
to a file that exists (and to a heading that exists, when it names one), every page of the
manual is linked from the front page, and every `make <target>` they tell a reader to run is
a target of the Makefile. Pages move and headings change; a reader following a dead link or
typing a target that is gone is told nothing by the tests unless this one fails."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`([^`]+)`")
_MARKDOWN_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
)
_HTML_LINK = re.compile(
    r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE
)
_HTML_ANCHOR = re.compile(r"""<a\b[^>]*?\b(?:id|name)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_MAKE = re.compile(r"(?:^|[\s`(;&|])make\s+(.*)")
_TARGET = re.compile(r"^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*:(?!=)", re.MULTILINE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def pages() -> list[Path]:
    """README.md and every Markdown page under docs/ (its subfolders too)."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def _prose(text: str) -> str:
    """The page without its code: fenced blocks and code spans hold examples, not links."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def _code(text: str) -> list[str]:
    """What the page shows as code: fenced blocks and code spans (a span may wrap a line)."""
    fences = [m.group(0) for m in _FENCE.finditer(text)]
    return fences + _CODE_SPAN.findall(_FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text without markup, lower case, punctuation
    other than ``-`` and ``_`` dropped, each space a hyphen."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor a link may name in ``page``: its headings' (repeats numbered as GitHub
    numbers them: ``x``, ``x-1``, ...) and explicit ``<a id=...>``/``name=`` ones."""
    text = page.read_text()
    found: set[str] = set(_HTML_ANCHOR.findall(text))
    seen: dict[str, int] = {}
    for heading in _HEADING.findall(_FENCE.sub("", text)):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[str]:
    """Every link target on ``page`` (Markdown links and images, HTML ``href``/``src``)."""
    prose = _prose(page.read_text())
    return _MARKDOWN_LINK.findall(prose) + _HTML_LINK.findall(prose)


def dead_links(page: Path, root: Path = REPO_ROOT) -> list[str]:
    """Each relative link of ``page`` (in the repository at ``root``) whose file, or heading,
    is not there."""
    dead = []
    for target in links(page):
        if _SCHEME.match(target) or target.startswith("//"):
            continue  # another site: not ours to keep alive here
        path, _, fragment = target.partition("#")
        resolved = (page.parent / unquote(path)).resolve() if path else page
        where = f"{page.relative_to(root)}: ({target})"
        if not resolved.exists():
            dead.append(f"{where} leads to no file")
        elif not resolved.is_relative_to(root):
            dead.append(f"{where} leads out of the repository")
        elif fragment:
            if resolved.suffix != ".md":
                dead.append(f"{where} names a heading in a file that is not a page")
            elif unquote(fragment) not in anchors(resolved):
                dead.append(f"{where}: no heading #{fragment} there")
    return dead


def make_targets() -> set[str]:
    """The Makefile's targets (rules, not variable assignments)."""
    text = (REPO_ROOT / "Makefile").read_text()
    return {n for names in _TARGET.findall(text) for n in names.split() if not n.startswith(".")}


def named_make_targets(page: Path) -> set[str]:
    """Every target a `make ...` in the page's code names (``make up`` / ``make bench ARGS=``:
    the words before any assignment)."""
    named = set()
    for code in _code(page.read_text()):
        for words in _MAKE.findall(code):
            for word in words.split():
                if "=" in word or not re.fullmatch(r"[A-Za-z0-9_-]+", word):
                    break
                named.add(word)
    return named


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page: Path) -> None:
    assert dead_links(page) == []


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_make_target_the_docs_name_is_in_the_makefile(page: Path) -> None:
    assert named_make_targets(page) - make_targets() == set()


def test_every_page_of_the_manual_is_linked_from_the_front_page() -> None:
    linked = {
        (README.parent / target.partition("#")[0]).resolve()
        for target in links(README)
        if not _SCHEME.match(target)
    }
    assert {p for p in DOCS.glob("*.md")} - linked == set()


def test_the_checks_see_what_they_check(tmp_path: Path) -> None:
    """The checks above pass on a page with nothing in it too: here they are shown what a dead
    link, a missing heading and a made-up target look like, and must find each."""
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "probe.md"
    text = (
        "# A page\n\n## Two words, (and) `code`\n\nSee [gone](gone.md), [here](#a-page),"
        " [there](#two-words-and-code), [nowhere](#nowhere),\n[wrapped\nlink](README.md)"
        ' and <img src="no.png">.\n\n```bash\nmake run\n[not a link](gone-too.md)\n```\n'
        "Run `make lint` or `make\n  no-such-target ARGS=1`.\n"
    )
    page.write_text(text)
    (tmp_path / "outside.md").write_text("# Outside\n")
    assert sorted(dead_links(page, root=tmp_path / "docs")) == [
        "probe.md: (#nowhere): no heading #nowhere there",
        "probe.md: (README.md) leads to no file",
        "probe.md: (gone.md) leads to no file",
        "probe.md: (no.png) leads to no file",
    ]
    page.write_text("[up](../outside.md) [up, a heading](../outside.md#inside)\n")
    assert sorted(dead_links(page, root=tmp_path)) == [
        "docs/probe.md: (../outside.md#inside): no heading #inside there"
    ]
    assert dead_links(page, root=tmp_path / "docs") == [
        "probe.md: (../outside.md) leads out of the repository",
        "probe.md: (../outside.md#inside) leads out of the repository",
    ]
    page.write_text(text)
    assert named_make_targets(page) == {"run", "lint", "no-such-target"}
    assert named_make_targets(page) - make_targets() == {"no-such-target"}
