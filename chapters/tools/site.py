"""The course as a website: every chapter with the outputs of a recorded run, built by Sphinx.

    python -m chapters.tools.site refresh runs/05_convnets.tensorflow.full.seed42.ipynb ...
    python -m chapters.tools.site build                  # into website/_build/html

``refresh`` takes notebooks the runner executed (``python -m chapters.tools.run --out runs``),
which carry their run's record in their metadata, and writes each into ``website/notebooks/`` as
its chapter's page: the outputs kept but for widget state and the backend's C++ log lines on
stderr, each figure re-encoded with a palette where that is smaller (a plot) or as a JPEG (a
photo), and under the title a note naming the run (mode, backend, seed, machine, time, commit)
with its checked figures against their targets. It refuses a failed run, a run with overridden
parameters and a notebook without a record. ``build`` writes the results page from
``docs/results.md`` (its links to notebooks pointed at their pages, its other links into the
repository at GitHub) and runs Sphinx with MyST-NB, which renders the stored outputs and executes
nothing; any Sphinx warning fails the build.
"""

import argparse
import base64
import io
import re
import subprocess
import sys
from pathlib import Path

import nbformat

from chapters.tools._shared import (
    BACKEND_TITLES,
    SITE_LINK_TEXT,
    duration,
    format_value,
    repository_url,
    site_url_of,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "website"
PAGES = SOURCE / "notebooks"  # named as in the repository, so the README's links lead to the pages
BUILD = SOURCE / "_build" / "html"
RESULTS_SOURCE = ROOT / "docs" / "results.md"
RESULTS_PAGE = SOURCE / "results.md"  # written by ``build``, not committed
RUN_NOTE_TAG = "chapters-run-note"  # the markdown cell ``refresh`` puts under the title
# The header's link to the chapter's page, which the page itself does not need.
SITE_LINK = re.compile(rf" · \[{SITE_LINK_TEXT}\]\([^)]*\)")
# A line of a backend's C++ log on stderr (``E0000 00:00:1796645008.198174   18936 util.cc:131] ...``):
# the backend's noise, not the notebook's output.
NATIVE_LOG_LINE = re.compile(r"^[EWIF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.]+:\d+\] .*\n?", re.MULTILINE)
# What a page's mode means for its figures, said under the table of its checked figures.
MODE_SENTENCES = {
    "full": "Full mode runs the book's settings.",
    "quick": "Quick mode trains the same models on less data for fewer epochs: most of its figures fall "
    "short of full mode's, whose targets are the book's.",
}
MARKDOWN_LINK = re.compile(r"\]\((?!https?://|#)([^)#\s]+)(#[^)\s]*)?\)")


class SiteError(Exception):
    """A notebook the site cannot show, with the reason."""


def run_record(notebook: nbformat.NotebookNode, path: Path) -> dict:
    """Return the record the runner stored in an executed notebook's metadata; raise ``SiteError``
    if it has none or the run cannot stand for its chapter (failed, or with overridden parameters)."""
    record = notebook.metadata.get("chapters", {}).get("run")
    if record is None:
        raise SiteError(f"{path}: no run record in its metadata; run it with python -m chapters.tools.run")
    if record["outcome"] != "passed":
        failure = record["failure"]
        raise SiteError(
            f"{path}: the run failed at cell {failure['cell']} ({failure['error']}); show a passed run"
        )
    if record["parameters"]:
        raise SiteError(
            f"{path}: the run overrode {sorted(record['parameters'])}; show a run of the chapter as written"
        )
    return record


def commit_link(commit: str | None, repository: str) -> str:
    """Return the commit as a link to it on GitHub, or as plain text where it is not one GitHub has
    (uncommitted changes, or none recorded)."""
    if commit and re.fullmatch(r"[0-9a-f]{7,40}", commit):
        return f"[{commit}]({repository}/commit/{commit})"
    return f"`{commit}`" if commit else "an unknown commit"


def run_note(record: dict, repository: str) -> str:
    """Return the markdown note that says which run a page shows, and its checked figures."""
    facts = (
        f"{record['mode'].capitalize()} mode on {BACKEND_TITLES[record['backend']]}, seed {record['seed']}, "
        f"on {record['machine']}: {duration(record['wall_seconds'])} in all, at commit "
        f"{commit_link(record['commit'], repository)}, {record['finished'][:10]}."
    )
    rows = [
        f"| {name} | {format_value(value['value'])} | {value.get('target', '')}{' ✓' if value.get('met') else ''} |"
        for name, value in record["figures"].items()
    ]
    table = "\n".join(["| checked figure | value | target |", "|---|---|---|", *rows])
    return (
        f":::{{note}}\nThis page shows a recorded run of the notebook, its outputs as they came. {facts} "
        "Its closing cell handed in these figures, and every check passed:\n\n"
        f"{table}\n\n{MODE_SENTENCES[record['mode']]} Every backend's figures are in "
        "[the results](../results.md).\n:::"
    )


def compressed_image(png: str) -> tuple[str, str]:
    """Return the smallest of a base64 PNG figure as it is, re-encoded with a palette of 256 colours
    (plots: lines and text stay sharp) and as a JPEG of quality 85 (photos), as (MIME type, base64)."""
    from PIL import Image  # matplotlib's dependency; only this command needs it

    with Image.open(io.BytesIO(base64.b64decode(png))) as image:
        rgb = image.convert("RGB")
    candidates = [("image/png", png)]  # first: kept where nothing is smaller
    for mime, save in (
        ("image/png", lambda buffer: rgb.quantize(256).save(buffer, format="PNG", optimize=True)),
        ("image/jpeg", lambda buffer: rgb.save(buffer, format="JPEG", quality=85, optimize=True)),
    ):
        buffer = io.BytesIO()
        save(buffer)
        candidates.append((mime, base64.b64encode(buffer.getvalue()).decode("ascii")))
    return min(candidates, key=lambda candidate: len(candidate[1]))


def shown_output(output: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    """Return ``output`` as the page shows it: without the backend's C++ log lines or widget
    state, its figure compressed; None if nothing is left to show."""
    if output.output_type == "stream":
        if output.name == "stderr":
            output.text = NATIVE_LOG_LINE.sub("", output.text)
        return output if output.text else None
    data = output.get("data", {})
    data.pop("application/vnd.jupyter.widget-view+json", None)
    if "image/png" in data:
        mime, image = compressed_image(data.pop("image/png"))
        data[mime] = image
    return output if data or output.output_type == "error" else None


def page_from_run(notebook: nbformat.NotebookNode, record: dict, repository: str) -> nbformat.NotebookNode:
    """Return the chapter's page made from the executed ``notebook`` and its ``record``."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [shown for shown in map(shown_output, cell.outputs) if shown is not None]
    header = notebook.cells[0]
    header.source = SITE_LINK.sub("", header.source)
    notebook.cells = [cell for cell in notebook.cells if RUN_NOTE_TAG not in cell.metadata.get("tags", [])]
    note = nbformat.v4.new_markdown_cell(run_note(record, repository), metadata={"tags": [RUN_NOTE_TAG]})
    notebook.cells.insert(1, note)
    return notebook


def refresh(executed: list[Path], pages: Path = PAGES) -> list[Path]:
    """Write a page into ``pages`` for each executed notebook; return the pages written. Every
    notebook is checked before any page is written."""
    repository = repository_url(ROOT)
    runs = []
    for path in executed:
        notebook = nbformat.read(path, as_version=4)
        runs.append((notebook, run_record(notebook, path)))
    pages.mkdir(parents=True, exist_ok=True)
    written = []
    for notebook, record in runs:
        page = pages / f"{record['notebook']}.ipynb"
        nbformat.write(page_from_run(notebook, record, repository), page)
        written.append(page)
    return written


def results_page(text: str, repository: str, pages: set[str]) -> str:
    """Return ``docs/results.md`` as the site's results page: a link to a notebook with a page goes
    to that page, any other link into the repository to the file on GitHub."""

    def relinked(match: re.Match) -> str:
        target, anchor = match.group(1), match.group(2) or ""
        path = (RESULTS_SOURCE.parent / target).resolve()
        if path.suffix == ".ipynb" and path.stem in pages:
            return f"](notebooks/{path.stem}.ipynb{anchor})"
        kind = "tree" if path.is_dir() else "blob"
        return f"]({repository}/{kind}/main/{path.relative_to(ROOT).as_posix()}{anchor})"

    return MARKDOWN_LINK.sub(relinked, text)


def build(out: Path = BUILD) -> None:
    """Write the results page and build the site into ``out`` with Sphinx; raise ``SiteError`` if
    Sphinx warns or fails."""
    pages = {page.stem for page in PAGES.glob("*.ipynb")}
    RESULTS_PAGE.write_text(results_page(RESULTS_SOURCE.read_text(), repository_url(ROOT), pages))
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-q",
        "-b",
        "html",
        str(SOURCE),
        str(out),
    ]
    if subprocess.run(command).returncode != 0:
        raise SiteError("Sphinx could not build the site without warnings (see above)")


def main(arguments: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m chapters.tools.site", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    refresh_command = commands.add_parser("refresh", help="make pages from notebooks the runner executed")
    refresh_command.add_argument("executed", nargs="+", type=Path, help="executed notebooks (runs/*.ipynb)")
    build_command = commands.add_parser("build", help="build the site with Sphinx")
    build_command.add_argument(
        "--out", type=Path, default=BUILD, help=f"folder for the HTML (default: {BUILD.relative_to(ROOT)})"
    )
    options = parser.parse_args(arguments)
    try:
        if options.command == "refresh":
            for page in refresh(options.executed):
                print(f"wrote {page.relative_to(ROOT)}")
        else:
            build(options.out)
            print(
                f"built the site into {options.out}; it will be published at {site_url_of(repository_url(ROOT))}"
            )
    except SiteError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main(sys.argv[1:])
