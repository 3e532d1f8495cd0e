"""Curated reference data (chronology, gazetteer, state names, lexicon, themes), read from reference/."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.lexicon import Codes, Lexicon, Rule, load_rules, load_vocabulary
from pipeline.paths import REFERENCE_DIR

REFERENCE_FILES = ("sco_meetings_chronology.csv", "sco_member_states.csv", "cities.csv",
                   "state_names.csv", "lexicon.yaml", "codes.yaml", "themes.yaml", "offices.csv", "demonyms.csv")
RULES_FOLDER = "rules"  # one file of rules a table, read in the schemas' order of tables


@dataclass(frozen=True)
class ChronologyEntry:
    """One meeting in the reference chronology."""

    body: str
    ordinal: int
    year: int
    city: str | None
    country_code: str
    start_date: dt.date
    end_date: dt.date
    is_virtual: bool
    main_documents: tuple[str, ...]
    confidence: str
    source_urls: str


@dataclass(frozen=True)
class ThemePattern:
    """A signal of a theme that a word list cannot say ("for criminal and terrorist purposes"): a pattern,
    a lower-case word every match holds (the theme gate's needle), and an example it matches."""

    pattern: str
    needle: str
    example: str


@dataclass(frozen=True)
class Theme:
    """A theme of the vocabulary, with its signal terms and patterns."""

    theme_id: str
    label: str
    description: str
    parent_theme_id: str | None
    terms: tuple[str, ...]
    patterns: tuple[ThemePattern, ...] = ()

    @property
    def signals(self) -> tuple[str, ...]:
        """The terms as patterns, and the patterns: what the theme's matcher looks for."""
        return tuple(re.escape(term) for term in self.terms) + tuple(p.pattern for p in self.patterns)


@dataclass(frozen=True, eq=False)
class Reference:
    """Everything curated the extractor and resolver read; passed to them as an argument."""

    chronology: tuple[ChronologyEntry, ...]
    cities: dict[str, tuple[str, str]]       # lower-case name or alias -> (canonical city, ISO3)
    states: dict[str, str]                   # lower-case state name -> ISO3
    founding_date: dt.date
    lexicon: Lexicon
    codes: Codes
    themes: tuple[Theme, ...]
    rules: dict[str, Rule]
    checksum: str
    people: dict[str, tuple[str, str]]       # lower-case name or alias -> (full name, ISO3), from offices.csv
    demonyms: dict[str, str]                 # lower-case demonym ("russian") -> ISO3


def load_reference(reference_dir: Path = REFERENCE_DIR) -> Reference:
    """Read and check every reference file; the result is cached per folder."""
    return _load(str(reference_dir))


@functools.lru_cache(maxsize=None)
def _load(reference_dir: str) -> Reference:
    folder = Path(reference_dir)
    digest = hashlib.sha256()
    rule_files = _rule_files(folder)
    for name in (*REFERENCE_FILES, *(f"{RULES_FOLDER}/{p.name}" for p in rule_files)):
        digest.update(name.encode() + b"\0" + (folder / name).read_bytes())

    chronology = tuple(
        ChronologyEntry(
            body=row["body"], ordinal=int(row["ordinal"]), year=int(row["year"]),
            city=row["city"] or None, country_code=row["country_code"],
            start_date=dt.date.fromisoformat(row["start_date"]),
            end_date=dt.date.fromisoformat(row["end_date"]),
            is_virtual=row["is_virtual"].strip().lower() == "true",
            main_documents=tuple(d.strip() for d in row["main_documents"].split(";") if d.strip()),
            confidence=row["confidence"], source_urls=row["source_urls"],
        )
        for row in _read_csv(folder / "sco_meetings_chronology.csv")
    )
    cities: dict[str, tuple[str, str]] = {}
    for row in _read_csv(folder / "cities.csv"):
        for name in [row["city"], *[a for a in row["aliases"].split(";") if a.strip()]]:
            cities[fold_name(name)] = (row["city"], row["country_code"])
    states = {fold_name(row["name"]): row["country_code"] for row in _read_csv(folder / "state_names.csv")}
    members = _read_csv(folder / "sco_member_states.csv")
    for row in members:
        states.setdefault(fold_name(row["name"]), row["country_code"])
    founding = min(dt.date.fromisoformat(r["joined_date"]) for r in members if r["sco_status"] == "founding member")

    lexicon, codes = load_vocabulary(folder)
    with open(folder / "themes.yaml", encoding="utf-8") as f:
        themes = tuple(
            Theme(t["theme_id"], t["label"], " ".join(t["description"].split()),
                  t.get("parent_theme_id") or None, tuple(t["terms"]),
                  tuple(ThemePattern(p["pattern"], p["needle"], p["example"]) for p in t.get("patterns") or ()))
            for t in yaml.safe_load(f)["themes"]
        )
    rules = load_rules(rule_files, codes)
    found: dict[str, set[tuple[str, str]]] = {}
    for row in _read_csv(folder / "offices.csv"):
        for name in [row["name"], *[a for a in row["aliases"].split(";") if a.strip()]]:
            found.setdefault(fold_name(name), set()).add((row["name"], row["country_code"]))
    people = {name: next(iter(held)) for name, held in found.items() if len(held) == 1}  # an ambiguous alias names no one
    demonyms = {fold_name(row["demonym"]): row["country_code"] for row in _read_csv(folder / "demonyms.csv")}
    return Reference(chronology, cities, states, founding, lexicon, codes, themes, rules, digest.hexdigest(), people,
                     demonyms)


def _rule_files(folder: Path) -> list[Path]:
    from pipeline.schemas import load_tables

    order = list(load_tables())
    files = sorted((folder / RULES_FOLDER).glob("*.yaml"))
    return sorted(files, key=lambda p: order.index(p.stem) if p.stem in order else len(order))


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def fold_name(name: str) -> str:
    """Lower-case, straight apostrophes, single spaces: the key names are looked up by."""
    return re.sub(r"\s+", " ", name.replace("\u2019", "'").replace("\u2018", "'")).strip().lower()


