"""The Colab check (chapters.tools.colab) in its fast parts: the install line pointed at a local clone,
pip freeze compared before and after, the kernel's environment, and Colab's pinned versions against
what the package declares. The check itself runs in CI (.ci/run, "colab environment")."""

from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement

from chapters.tools import _shared, colab, notebooks
from chapters.tools.pip_freeze import compare_freezes, parse_freeze

NOTEBOOK_PATHS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
CLONE = "file:///tmp/colab-check/repository"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda path: path.stem)
def test_only_the_install_line_is_pointed_at_the_clone(path, repository_root):
    original = nbformat.read(path, as_version=4)
    rewritten = nbformat.read(path, as_version=4)

    colab.install_from(rewritten, _shared.repository_url(repository_root), CLONE)

    setup = notebooks.setup_cell(CLONE, notebooks.full_mode_cpu_minutes(original))
    assert rewritten.cells[1].source == setup
    assert f'%pip install -q "keras-chapters @ git+{CLONE}"' in setup
    assert [cell.source for cell in rewritten.cells[2:]] == [cell.source for cell in original.cells[2:]]
    assert rewritten.cells[0].source == original.cells[0].source  # the badge keeps the public address


def test_a_notebook_without_the_install_line_or_with_two_is_refused():
    repository = "https://github.com/keras-chapters/keras-chapters"
    line = notebooks.setup_cell(repository, {"tensorflow": 1, "jax": 1, "torch": 1})
    for sources in (["import chapters"], [line, line]):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
        with pytest.raises(ValueError, match="expected the install line"):
            colab.install_from(notebook, repository, CLONE)


def test_an_install_that_adds_packages_leaves_the_others_alone():
    before = "keras==3.13.2\nml_dtypes==0.5.3\nnumpy==2.1.3\n"
    after = "keras==3.13.2\nkeras-chapters @ git+file:///tmp/r@0fcb28e\nml-dtypes==0.5.3\nnumpy==2.1.3\nrich==15.0.0\n"

    changes = compare_freezes(before, after)

    assert changes.left_alone
    assert changes.added == {"keras-chapters": "@ git+file:///tmp/r@0fcb28e", "rich": "==15.0.0"}
    assert changes.lines() == ["added keras-chapters @ git+file:///tmp/r@0fcb28e", "added rich ==15.0.0"]


def test_each_package_changed_or_removed_is_named():
    before = "Keras==3.13.2\nnumpy==2.1.3\npandas==2.2.3\nscipy==1.16.3\n"
    after = "keras==3.15.1\nnumpy==2.4.6\npandas==2.2.3\n"

    changes = compare_freezes(before, after)

    assert not changes.left_alone
    assert changes.lines() == [
        "CHANGED keras: ==3.13.2 -> ==3.15.1",
        "CHANGED numpy: ==2.1.3 -> ==2.4.6",
        "REMOVED scipy ==1.16.3",
    ]


def test_freeze_lines_that_name_no_package_are_skipped():
    text = (
        "# Editable install with no version control (keras-chapters==0.1.0)\n-e /work/colab\n\nh5py==3.15.1\n"
    )
    assert parse_freeze(text) == {"h5py": "==3.15.1"}


def test_the_kernel_gets_the_mode_and_empty_caches_not_the_runners_python_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/work/colab")
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.setenv("CHAPTERS_MIRROR", "/mirror")
    (tmp_path / "keras" / "datasets").mkdir(parents=True)

    environment = colab.kernel_environment(tmp_path / "venv" / "bin" / "python", tmp_path, "quick")

    assert "PYTHONPATH" not in environment and "KERAS_BACKEND" not in environment
    assert environment["CHAPTERS_MODE"] == "quick" and environment["CHAPTERS_MIRROR"] == "/mirror"
    assert environment["KERAS_HOME"] == str(tmp_path / "keras") and not (tmp_path / "keras").exists()
    assert environment["PATH"].startswith(str(tmp_path / "venv" / "bin"))


def test_colabs_versions_satisfy_what_the_package_declares(repository_root):
    pinned = parse_freeze((repository_root / colab.VERSIONS_FILE).read_text())
    project = _shared.project_table(repository_root)
    for line in project["dependencies"] + project["optional-dependencies"]["tfds"]:
        requirement = Requirement(line)
        name = requirement.name.lower().replace("_", "-")
        assert name in pinned, f"{colab.VERSIONS_FILE} pins no version of {name}"
        version = pinned[name].removeprefix("==")
        assert requirement.specifier.contains(version), f"Colab's {name} {version} is outside {line!r}"


def test_the_versions_file_says_what_it_matches_and_where_the_numbers_come_from(repository_root):
    header = (repository_root / colab.VERSIONS_FILE).read_text()
    for words in (
        "Matches:",
        "https://github.com/googlecolab/backend-info/blob/main/pip-freeze.txt",
        "refresh",
    ):
        assert words in header


def test_uv_installs_colabs_versions_into_the_environments_python(tmp_path, monkeypatch):
    fake_uv = tmp_path / "bin" / "uv"
    fake_uv.parent.mkdir()
    fake_uv.write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "arguments"}\n')
    fake_uv.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake_uv.parent))
    python = tmp_path / "venv" / "bin" / "python"

    colab.install_versions(python, tmp_path / "pip.log", "uv")

    arguments = (tmp_path / "arguments").read_text().split()
    assert arguments[:4] == ["pip", "install", "--quiet", "-r"]
    assert Path(arguments[4]).name == colab.VERSIONS_FILE.name
    assert arguments[-3:] == ["--compile-bytecode", "--python", str(python)]
    assert (tmp_path / "pip.log").read_text().startswith(f"$ {fake_uv} pip install")


def test_uv_asked_for_and_missing_is_named_with_the_way_out(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(SystemExit, match=r"uv is not on the path \(pip install uv\), or use --installer pip"):
        colab.install_versions(tmp_path / "venv" / "bin" / "python", tmp_path / "pip.log", "uv")
    assert not (tmp_path / "pip.log").exists()
