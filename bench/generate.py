"""A deterministic generator of synthetic sources in the style of the seed and development texts.

Meetings come from the reference chronology, so resolution has real work to do; the sentence
frames vary dates, ordinals, council names, documents, quote marks and reported speech, and mix
in sentences the extractor should leave alone. Same seed and size, same bytes.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from pipeline.reference import load_reference

ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]
BODY_NAMES = {
    "heads_of_state": ["Council of the Heads of Member States", "Council of Heads of State", "SCO heads of state council"],
    "heads_of_government": ["Council of Heads of Government", "Council of the Heads of Government (Prime Ministers)"],
}
ACTORS = {"heads_of_state": ["The heads of state", "The leaders", "The member states"],
          "heads_of_government": ["The prime ministers", "The heads of government", "The member states"]}
VERBS = ["reaffirmed that", "stressed that", "noted that", "agreed that", "declared that", "underlined that"]
CONTENT = [
    "the fight against terrorism, separatism and extremism remains a priority",
    "cooperation in ensuring international information security must be deepened",
    "joint efforts against cybercrime and the criminal use of information technologies are needed",
    "cooperation in science and technology contributes to common development",
    "regional security and stability depend on mutual trust",
    "the spread of terrorist and extremist ideology on the Internet must be countered",
    "trade and investment between the member states should grow",
]
FILLER = [
    "The weather in the region was mild that week.",
    "Delegations arrived a day earlier for bilateral talks.",
    "Observers noted the growing interest of neighbouring states.",
    "Several cultural events were held on the margins.",
    "The press centre hosted more than a thousand journalists.",
]
QUOTES = [("«", "»"), ("“", "”"), ('"', '"')]
DOCS = ["Declaration", "Joint Communiqué", "Statement on International Information Security",
        "Action Plan on Countering Terrorism", "Programme of Cooperation in Science and Technology"]
STATES = ["China", "Russia", "Kazakhstan", "Kyrgyzstan", "Tajikistan", "Uzbekistan", "India", "Pakistan"]


def generate(out: Path, megabytes: float, seed: int = 2001) -> list[Path]:
    """Write sources totalling about `megabytes` MB into out/ (with a manifest); returns their paths."""
    rng = random.Random(seed)
    chronology = [e for e in load_reference().chronology if e.city]
    out.mkdir(parents=True, exist_ok=True)
    target, written, paths, n = megabytes * 1_000_000, 0, [], 0
    rows = ["source_id,path,title,sha256,license,published_date"]
    while written < target:
        n += 1
        text = "\n\n\n".join(_section(rng, rng.choice(chronology)) for _ in range(rng.randint(8, 16))) + "\n"
        path = out / f"synthetic_{n:06d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
        written += len(text.encode("utf-8"))
        rows.append(f"synthetic_{n:06d},{path.name},Synthetic source {n},,CC0-1.0,")
    (out / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return paths


def _date(rng: random.Random, e) -> str:
    start, end = e.start_date, e.end_date
    month = start.strftime("%B")
    same = start == end
    style = rng.randrange(5)
    if style == 0:
        return f"on {month} {start.day}, {start.year}" if same else f"on {month} {start.day}-{end.day}, {start.year}"
    if style == 1:
        return f"on {start.day} {month} {start.year}" if same else f"on {start.day}–{end.day} {month} {start.year}"
    if style == 2:
        return f"on {month} {start.day}" if same else f"on {month} {start.day}-{end.day}"
    if style == 3:
        return f"in {month}"
    return f"in {start.year}"


def _section(rng: random.Random, e) -> str:
    body = rng.choice(BODY_NAMES[e.body])
    ordinal = ORDINALS[e.ordinal - 1] if e.ordinal <= len(ORDINALS) and rng.random() < 0.5 else f"{e.ordinal}th"
    opener = rng.choice([
        f"The {ordinal} meeting of the {body} was held in {e.city} {_date(rng, e)}.",
        f"The {body} met in {e.city} {_date(rng, e)}.",
        f"A regular meeting of the {body} took place in {e.city} {_date(rng, e)}.",
    ])
    parts = [opener + " " + rng.choice(FILLER)]
    o, c = rng.choice(QUOTES)
    kind = rng.randrange(3)
    if kind == 0:
        parts[0] += f" The {e.city} Declaration adopted at the meeting included a following statement:"
        parts.append(f"{o}The member states believe that {rng.choice(CONTENT)}.{c}")
    elif kind == 1:
        doc = rng.choice(DOCS)
        states = rng.sample(STATES, rng.randint(2, 6))
        parts[0] += f" A document, “{doc},” was signed by {', '.join(states[:-1])} and {states[-1]}."
    parts.append(f"{rng.choice(ACTORS[e.body])} {rng.choice(VERBS)} {rng.choice(CONTENT)}. {rng.choice(FILLER)}")
    return "\n\n".join(parts)


if __name__ == "__main__":
    generate(Path(sys.argv[1]), float(sys.argv[2]))
