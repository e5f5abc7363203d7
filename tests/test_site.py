"""The course's website (``chapters.tools.site``): pages made from recorded runs, the results page,
and the built site as a reader meets it in Chromium: every page loads, every figure of its
notebook's outputs is drawn, no cell shows an error, and every link within the site resolves."""

import base64
import functools
import http.server
import io
import os
import re
import threading
from pathlib import Path

import nbformat
import pytest

from chapters.tools import site

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
REPOSITORY = "https://github.com/keras-chapters/keras-chapters"


def png_of_a_plot() -> str:
    """Return a base64 PNG of a small matplotlib line plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4, 3), dpi=100)
    axes.plot([0, 1, 2, 3], [3, 1, 2, 0])
    axes.set_title("training loss")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def record(**changes) -> dict:
    """Return the record of a passed quick-mode run of chapter 01, as the runner writes it."""
    return {
        "notebook": "01_tensors",
        "backend": "jax",
        "mode": "quick",
        "seed": 42,
        "parameters": {},
        "outcome": "passed",
        "failure": None,
        "figures": {
            "test accuracy": {"value": 0.97471, "target": ">= 0.9", "met": True},
            "dense baseline accuracy": {"value": 0.9},
        },
        "wall_seconds": 25.2,
        "machine": "CPU, 2-core AMD EPYC",
        "commit": "0123abc",
        "finished": "2026-12-07T12:00:00+00:00",
    } | changes


def executed_notebook(run: dict | None = None) -> nbformat.NotebookNode:
    """Return a small executed notebook: a header with its badge and site link, a cell that printed
    to stdout and stderr (a TensorFlow C++ log line among its lines), and a cell that drew a plot."""
    header = (
        "# 01 · Tensors\n\n[![Open In Colab](badge.svg)](colab) · "
        "[Read it with its outputs](https://keras-chapters.github.io/keras-chapters/notebooks/01_tensors.html)"
    )
    printed = nbformat.v4.new_code_cell("print('hello')")
    printed.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="hello\n"),
        nbformat.v4.new_output(
            "stream",
            name="stderr",
            text="E0000 00:00:1796645008.198174   18936 util.cc:131] oneDNN supports DT_BOOL only on AVX-512.\n",
        ),
        nbformat.v4.new_output("stream", name="stderr", text="a warning the notebook gives\n"),
    ]
    drawn = nbformat.v4.new_code_cell("plots.plot_curves(...);")
    drawn.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"image/png": png_of_a_plot(), "text/plain": "<Figure size 400x300 with 1 Axes>"},
        )
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(header), printed, drawn])
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    if run is not None:
        notebook.metadata["chapters"] = {"run": run}
    return notebook


def test_a_page_says_which_run_it_shows_and_its_checked_figures():
    page = site.page_from_run(executed_notebook(record()), record(), REPOSITORY)
    note = page.cells[1]
    assert site.RUN_NOTE_TAG in note.metadata["tags"]
    assert "Quick mode on JAX, seed 42, on CPU, 2-core AMD EPYC: 25 s in all" in note.source
    assert f"[0123abc]({REPOSITORY}/commit/0123abc)" in note.source
    assert "| test accuracy | 0.9747 | >= 0.9 ✓ |" in note.source
    assert "| dense baseline accuracy | 0.9 |  |" in note.source


def test_a_page_keeps_its_outputs_but_the_backends_log_and_widget_state():
    page = site.page_from_run(executed_notebook(record()), record(), REPOSITORY)
    printed = page.cells[2].outputs
    assert [output.text for output in printed] == ["hello\n", "a warning the notebook gives\n"]
    assert "widgets" not in page.metadata
    assert "Read it with its outputs" not in page.cells[0].source  # the page is where it points
    assert "Open In Colab" in page.cells[0].source


def test_a_page_compresses_its_figures_and_keeps_them_readable():
    from PIL import Image

    original = executed_notebook(record()).cells[2].outputs[0].data["image/png"]
    page = site.page_from_run(executed_notebook(record()), record(), REPOSITORY)
    (data,) = [output.data for output in page.cells[3].outputs]
    (mime,) = [key for key in data if key.startswith("image/")]
    assert len(data[mime]) < len(original)
    with Image.open(io.BytesIO(base64.b64decode(data[mime]))) as image:
        assert image.size == (400, 300)


def test_refreshing_a_page_again_keeps_one_note():
    page = site.page_from_run(executed_notebook(record()), record(), REPOSITORY)
    again = site.page_from_run(page, record(), REPOSITORY)
    assert sum(site.RUN_NOTE_TAG in cell.metadata.get("tags", []) for cell in again.cells) == 1


def test_a_commit_with_changes_is_named_but_not_linked():
    assert site.commit_link("0123abc+changes", REPOSITORY) == "`0123abc+changes`"
    assert site.commit_link(None, REPOSITORY) == "an unknown commit"


@pytest.mark.parametrize(
    "run, reason",
    [
        (None, "no run record in its metadata; run it with python -m chapters.tools.run"),
        (
            record(outcome="failed", failure={"cell": 7, "error": "AssertionError"}),
            "the run failed at cell 7 (AssertionError)",
        ),
        (record(parameters={"num_epochs": 2}), "the run overrode ['num_epochs']"),
    ],
)
def test_refresh_refuses_a_run_that_cannot_stand_for_its_chapter_and_writes_nothing(tmp_path, run, reason):
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    nbformat.write(executed_notebook(record()), good)
    nbformat.write(executed_notebook(run), bad)
    with pytest.raises(site.SiteError, match=re.escape(reason)):
        site.refresh([good, bad], pages=tmp_path / "pages")
    assert not (tmp_path / "pages").exists()


def test_refresh_writes_the_page_under_the_chapters_name(tmp_path):
    executed = tmp_path / "01_tensors.jax.quick.seed42.ipynb"
    nbformat.write(executed_notebook(record()), executed)
    (page,) = site.refresh([executed], pages=tmp_path / "pages")
    assert page == tmp_path / "pages" / "01_tensors.ipynb"
    assert nbformat.read(page, as_version=4).cells[1].metadata["tags"] == [site.RUN_NOTE_TAG]


def test_the_results_page_links_notebooks_to_their_pages_and_the_rest_to_github():
    text = (
        "see [08](../notebooks/08_text_vectorization.ipynb), [the records](../records), "
        "[the benchmark](../benchmarks/vgg16_on_cpu.py), [notes](notes.md#08-text-vectorization), "
        "[a section](#vgg16-on-a-cpu) and [Keras](https://keras.io)"
    )
    page = site.results_page(text, REPOSITORY, pages={"08_text_vectorization"})
    assert "[08](notebooks/08_text_vectorization.ipynb)" in page
    assert f"[the records]({REPOSITORY}/tree/main/records)" in page
    assert f"[the benchmark]({REPOSITORY}/blob/main/benchmarks/vgg16_on_cpu.py)" in page
    assert f"[notes]({REPOSITORY}/blob/main/docs/notes.md#08-text-vectorization)" in page
    assert "[a section](#vgg16-on-a-cpu)" in page and "[Keras](https://keras.io)" in page


def test_the_site_has_a_page_for_every_notebook_in_the_reading_order():
    notebooks = sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb"))
    assert sorted(page.stem for page in site.PAGES.glob("*.ipynb")) == notebooks
    listed = re.findall(r"^notebooks/(\S+)$", (site.SOURCE / "index.md").read_text(), re.MULTILINE)
    assert sorted(listed) == notebooks, "website/index.md lists each chapter once, in reading order"


def test_every_page_is_a_passed_run_with_its_note():
    for path in sorted(site.PAGES.glob("*.ipynb")):
        page = nbformat.read(path, as_version=4)
        assert site.run_record(page, path)["notebook"] == path.stem
        assert site.RUN_NOTE_TAG in page.cells[1].metadata.get("tags", []), f"{path.name}: refresh it"
        errors = [
            cell for cell in page.cells for output in cell.get("outputs", []) if output.output_type == "error"
        ]
        assert not errors, f"{path.name} shows an error"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    """Build the site with Sphinx and serve it on 127.0.0.1; yield its address and folder."""
    try:
        import furo  # noqa: F401
        import myst_nb  # noqa: F401
    except ImportError:
        missing = "the site's tools (pip install -r website/requirements.txt)"
        if os.environ.get("CHAPTERS_BROWSER_TEST") == "required":
            pytest.fail(f"CHAPTERS_BROWSER_TEST=required, but {missing} are not installed")
        pytest.skip(f"the site test needs {missing}")
    out = tmp_path_factory.mktemp("site")
    site.build(out)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *arguments: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", out
    server.shutdown()


def figures_in(page_source: Path) -> int:
    """Return how many figures the outputs of a page's notebook hold."""
    page = nbformat.read(page_source, as_version=4)
    return sum(
        any(key.startswith("image/") for key in output.get("data", {}))
        for cell in page.cells
        for output in cell.get("outputs", [])
    )


@pytest.mark.slow
def test_every_page_of_the_site_loads_with_its_figures_no_error_and_working_links(built_site, browser):
    address, out = built_site
    pages = ["index.html", "results.html"] + [
        f"notebooks/{path.stem}.html" for path in sorted(site.PAGES.glob("*.ipynb"))
    ]
    problems, checked_links = [], set()
    tab = browser.new_page(viewport={"width": 1300, "height": 1000})
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    for name in pages:
        response = tab.goto(f"{address}/{name}", wait_until="load")
        if response is None or not response.ok:
            problems.append(f"{name}: does not load")
            continue
        drawn = tab.eval_on_selector_all(
            ".cell_output img", "images => images.map(image => image.complete && image.naturalWidth > 0)"
        )
        if name.startswith("notebooks/"):
            expected = figures_in(site.PAGES / f"{Path(name).stem}.ipynb")
            if len(drawn) != expected or not all(drawn):
                problems.append(f"{name}: {sum(drawn)} of {expected} figures drawn")
        if tab.locator(".cell_output .traceback, .cell_output .output.error").count():
            problems.append(f"{name}: a cell shows an error")
        links = tab.eval_on_selector_all("a[href]", "links => links.map(link => link.href)")
        for link in links:
            if link.startswith(address) and link not in checked_links:
                checked_links.add(link)
                target, _, anchor = link.partition("#")
                if not target.endswith("/") and not (out / target.removeprefix(address + "/")).is_file():
                    problems.append(f"{name}: the link {link} leads nowhere")
                elif anchor and target.endswith(".html"):
                    html = (out / target.removeprefix(address + "/")).read_text()
                    if f'id="{anchor}"' not in html:
                        problems.append(f"{name}: the link {link} names no anchor of its page")
    tab.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert not problems, "\n".join(problems)
    assert len(checked_links) > len(pages), "the pages link to each other"
