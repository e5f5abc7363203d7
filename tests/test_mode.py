import pytest

import chapters
from chapters import mode


@pytest.fixture(autouse=True)
def no_notebook_choice(monkeypatch):
    monkeypatch.setattr(mode, "_notebook_choice", None)


def test_full_mode_is_the_default(monkeypatch):
    monkeypatch.delenv("CHAPTERS_MODE", raising=False)
    assert chapters.run_mode() == "full"
    assert chapters.scale(full=5, quick=1) == 5


def test_quick_mode_picks_the_quick_value(monkeypatch):
    monkeypatch.setenv("CHAPTERS_MODE", "Quick ")
    assert chapters.run_mode() == "quick"
    assert chapters.scale(full=60_000, quick=12_000) == 12_000


def test_an_unknown_mode_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv("CHAPTERS_MODE", "fast")
    with pytest.raises(ValueError, match="'fast'.*full, quick"):
        chapters.scale(full=1, quick=0)


def test_the_notebooks_choice_applies_when_the_environment_names_no_mode(monkeypatch):
    monkeypatch.delenv("CHAPTERS_MODE", raising=False)
    assert mode.choose_mode("quick") == "quick"
    assert chapters.scale(full=5, quick=1) == 1
    assert mode.choose_mode("full") == "full", "running the setup cell again with another choice switches"


def test_the_environment_wins_over_the_notebooks_choice(monkeypatch):
    monkeypatch.setenv("CHAPTERS_MODE", "quick")
    assert mode.choose_mode("full") == "quick"
    assert chapters.scale(full=5, quick=1) == 1


def test_an_unknown_notebook_choice_is_refused_with_the_choices(monkeypatch):
    monkeypatch.delenv("CHAPTERS_MODE", raising=False)
    with pytest.raises(ValueError, match="'fast' is not a run mode.*full, quick"):
        mode.choose_mode("fast")
