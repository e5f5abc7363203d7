import pytest

import chapters


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
