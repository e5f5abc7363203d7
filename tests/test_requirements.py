"""requirements.txt (pip) and environment.yml (conda) name the same packages with the same ranges."""

import re


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
