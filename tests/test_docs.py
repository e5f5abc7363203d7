"""The README and the pages of docs/: the README stays a front door, and every link between the
pages, and to the repository's files, resolves (headings' anchors as GitHub makes them)."""

import re
from pathlib import Path

import pytest

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
PAGES = [REPOSITORY_ROOT / "README.md", *sorted((REPOSITORY_ROOT / "docs").glob("*.md"))]

FENCED_BLOCK = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def prose(page: Path) -> str:
    """Return the page's Markdown without its code blocks and inline code."""
    return INLINE_CODE.sub("", FENCED_BLOCK.sub("", page.read_text()))


def anchor(heading: str) -> str:
    """Return the anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Return the anchors of every heading of ``page``."""
    return {anchor(line.lstrip("#")) for line in prose(page).splitlines() if re.match(r"#{1,6} ", line)}


def test_the_anchor_of_a_heading_is_github_s():
    assert anchor("The maintainers' guide") == "the-maintainers-guide"
    assert anchor("Setting up, in detail") == "setting-up-in-detail"
    assert anchor("05 Convnets") == "05-convnets"
    assert anchor("Quick mode: the machines, the sizes kept") == "quick-mode-the-machines-the-sizes-kept"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPOSITORY_ROOT)))
def test_every_link_resolves(page):
    broken = []
    for target in LINK.findall(prose(page)):
        if re.match(r"[a-z]+:", target):  # a web address: not reachable from every machine
            continue
        path, _, fragment = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(f"{target}: no heading with that anchor in {linked.name}")
    assert not broken, f"{page.name} has broken links: {broken}"


def test_the_readme_is_a_front_door():
    """What the course is, its chapters and how to start, on the first screen; the rest in docs/."""
    lines = (REPOSITORY_ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 100, f"the README has {len(lines)} lines: move detail into docs/"
    headings = [line for line in lines[:40] if line.startswith("## ")]
    assert headings[:2] == ["## The chapters", "## Start"], "the chapters, then how to start, come first"
    notebooks = sorted(path.name for path in (REPOSITORY_ROOT / "notebooks").glob("*.ipynb"))
    listed = re.findall(r"\(notebooks/([\w.]+\.ipynb)\)", "\n".join(lines))
    assert sorted(listed) == notebooks, "the chapter list names every notebook, once"
