"""A deployer's corrections to entities, from a TOML file (``tagwire curate FILE``)::

    [[merge]]                    # these tags are one entity: the first is kept
    tags = ["WilliamJeffersonClinton", "BillClinton"]

    [[rename]]                   # a better display name; the slug never changes
    tag = "LeeJaemyung"
    name = "Lee Jae-myung"

    [[block]]                    # never a tag, on stored or new articles
    tags = ["Southeast"]

    [[split]]                    # these forms are somebody else: a new entity
    tag = "WilliamClinton"       # (here a wrong nickname join of two people)
    forms = ["Bill Clinton"]
    name = "Bill Clinton"        # the new entity's display name; default: the first form

Applying a file changes every stored article at once and is idempotent: a merge whose tags
already answer for one entity, or a block already in place, changes nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tagwire.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Merge:
    tags: tuple[str, ...]  # the first is kept


@dataclass(frozen=True, slots=True)
class Rename:
    tag: str
    name: str


@dataclass(frozen=True, slots=True)
class Block:
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Split:
    tag: str
    forms: tuple[str, ...]  # mentions written so (or spelt like it) go to the new entity
    name: str


Action = Merge | Rename | Block | Split


def load(path: str | Path) -> list[Action]:
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the curation file: {exc}") from exc
    unknown = set(doc) - {"merge", "rename", "block", "split"}
    if unknown:
        raise ConfigError(f"{path}: unknown sections {', '.join(sorted(unknown))}")
    actions: list[Action] = []
    for index, entry in enumerate(_tables(path, doc, "merge"), 1):
        tags = _tags(path, f"merge #{index}", entry)
        if len(tags) < 2:
            raise ConfigError(f"{path}: merge #{index} needs at least two tags")
        actions.append(Merge(tags))
    for index, entry in enumerate(_tables(path, doc, "rename"), 1):
        tag, name = entry.get("tag"), entry.get("name")
        if not isinstance(tag, str) or not isinstance(name, str) or not name.strip():
            raise ConfigError(f'{path}: rename #{index} needs tag = "..." and name = "..."')
        actions.append(Rename(tag, " ".join(name.split())))
    for index, entry in enumerate(_tables(path, doc, "block"), 1):
        actions.append(Block(_tags(path, f"block #{index}", entry)))
    for index, entry in enumerate(_tables(path, doc, "split"), 1):
        tag, forms, name = entry.get("tag"), entry.get("forms"), entry.get("name")
        if (
            not isinstance(tag, str)
            or not isinstance(forms, list)
            or not forms
            or not all(isinstance(f, str) and f.strip() for f in forms)
            or not isinstance(name, str | None)
        ):
            raise ConfigError(
                f'{path}: split #{index} needs tag = "...", forms = ["...", ...] '
                'and optionally name = "..."'
            )
        clean = tuple(" ".join(f.split()) for f in forms)
        actions.append(Split(tag, clean, " ".join((name or clean[0]).split())))
    return actions


def _tables(path: str | Path, doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
    tables = doc.get(name, [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{path}: [{name}] must be written [[{name}]]")
    return tables


def _tags(path: str | Path, where: str, entry: dict[str, Any]) -> tuple[str, ...]:
    tags = entry.get("tags")
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) for t in tags):
        raise ConfigError(f'{path}: {where} needs tags = ["...", ...]')
    return tuple(tags)
