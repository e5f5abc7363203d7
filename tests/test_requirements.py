"""requirements.txt (pip) and environment.yml (conda) name the same packages with the same ranges, and
the package declares what it imports."""

import ast
import re
import sys

from chapters.tools import _shared


def requirement_lines(text: str) -> set[str]:
    lines = (line.split("#")[0].strip() for line in text.splitlines())
    return {re.sub(r"\s+", "", line) for line in lines if line}


def test_environment_yml_pip_section_matches_requirements_txt(repository_root):
    requirements = requirement_lines((repository_root / "requirements.txt").read_text())
    environment = (repository_root / "environment.yml").read_text()
    pip_section = environment.split("- pip:", 1)[1]
    listed = {
        re.sub(r"\s+", "", line.strip()[2:])
        for line in pip_section.splitlines()
        if line.strip().startswith("- ")
    }
    assert listed == requirements


def test_environment_yml_python_matches_the_package(repository_root):
    environment = (repository_root / "environment.yml").read_text()
    assert re.search(r"- python>=3\.10\.12,<3\.14", environment)
    assert 'requires-python = ">=3.10.12"' in (repository_root / "pyproject.toml").read_text()


# The distribution that provides each module the package imports, where the names differ.
DISTRIBUTIONS = {"tensorflow_datasets": "tensorflow-datasets", "PIL": "pillow"}
# Imported but deliberately not declared: the backends a user installs by choice, and IPython, which
# the package imports only when it runs inside it.
UNDECLARED = {"jax", "torch", "IPython"}


def imported_distributions(folder) -> set[str]:
    """Return the distributions of every third-party module the ``.py`` files in ``folder`` import."""
    modules = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    third_party = modules - set(sys.stdlib_module_names) - {"chapters"} - UNDECLARED
    return {DISTRIBUTIONS.get(module, module) for module in third_party}


def declared_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!;\[ ]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def test_the_package_declares_every_module_it_imports(repository_root):
    project = _shared.project_table(repository_root)
    extras = project["optional-dependencies"]
    package = repository_root / "chapters"
    assert imported_distributions(package) <= declared_names(project["dependencies"] + extras["tfds"])
    assert imported_distributions(package / "tools") <= declared_names(
        project["dependencies"] + extras["tools"]
    )
