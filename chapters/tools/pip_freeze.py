"""What an install changed in an environment, from ``pip freeze`` taken before and after it.

``python -m chapters.tools.colab`` uses it to check that installing the course on top of Colab's
packages leaves every one of them as it was: a package may be added, none changed or removed.
"""

import re
from dataclasses import dataclass


def distribution_key(name: str) -> str:
    """Return ``name`` normalized as pip compares distribution names (PEP 503): ``ML_dtypes`` and
    ``ml-dtypes`` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_freeze(text: str) -> dict[str, str]:
    """Return each package ``pip freeze`` lists in ``text``, by normalized name, with what pins it:
    ``"==2.1.3"``, or ``"@ git+file:///...@<commit>"`` for a package installed from a URL.
    Lines that start with no name (comments, editable installs' ``-e``) are skipped."""
    packages = {}
    for line in text.splitlines():
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)", line.strip())
        if match:
            packages[distribution_key(match.group(1))] = match.group(2).strip()
    return packages


@dataclass(frozen=True)
class FreezeChanges:
    """What differs between two ``pip freeze`` listings, by normalized name: ``changed`` maps a
    package to its (before, after) pins, ``removed`` and ``added`` to their one pin."""

    changed: dict[str, tuple[str, str]]
    removed: dict[str, str]
    added: dict[str, str]

    @property
    def left_alone(self) -> bool:
        """Whether every package listed before is still there with the same pin."""
        return not self.changed and not self.removed

    def lines(self) -> list[str]:
        """Return one line per difference, changes and removals first, naming each package."""
        return [
            *(
                f"CHANGED {name}: {before} -> {after}"
                for name, (before, after) in sorted(self.changed.items())
            ),
            *(f"REMOVED {name} {before}" for name, before in sorted(self.removed.items())),
            *(f"added {name} {after}" for name, after in sorted(self.added.items())),
        ]


def compare_freezes(before: str, after: str) -> FreezeChanges:
    """Return what differs between two ``pip freeze`` outputs, ``before`` and ``after`` an install."""
    old, new = parse_freeze(before), parse_freeze(after)
    return FreezeChanges(
        changed={name: (old[name], new[name]) for name in old.keys() & new.keys() if old[name] != new[name]},
        removed={name: old[name] for name in old.keys() - new.keys()},
        added={name: new[name] for name in new.keys() - old.keys()},
    )
