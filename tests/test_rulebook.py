"""The rule book chooses an action's rule by the rows' facts and context patterns: truth tables on tiny rule sets."""

from __future__ import annotations

import pytest

from pipeline.lexicon import Rule
from pipeline.reference import load_reference
from pipeline.rulebook import RuleBook

LEXICON = load_reference().lexicon


def _rule(rule_id: str, **keys) -> Rule:
    return Rule(rule_id=rule_id, basis="stated", actions=keys.pop("actions", ["act"]), fills=["meetings.city"],
                description="a rule", examples=[], **keys)


BOOK = RuleBook({r.rule_id: r for r in [
    _rule("first", when=[["a", "not b"]]),
    _rule("second", when=[["b"], ["c"]]),
    _rule("fallback"),
    _rule("after_in", actions=["place"], before=r"\bin\s+", before_window=5),
    _rule("before_noun", actions=["place"], after=r"\s+{meeting_nouns}\b"),
    _rule("alone", actions=["solo"]),
]}, LEXICON)


@pytest.mark.parametrize("facts, chosen", [
    pytest.param({"a": True, "b": False, "c": False}, "first", id="all-facts-of-an-alternative"),
    pytest.param({"a": True, "b": True, "c": False}, "second", id="negated-fact-fails-the-first"),
    pytest.param({"a": False, "b": False, "c": True}, "second", id="second-alternative"),
    pytest.param({"a": False, "b": False, "c": False}, "fallback", id="a-rule-without-facts-always-fits"),
    pytest.param({"a": lambda: True, "b": lambda: False, "c": False}, "first", id="facts-asked-when-needed"),
])
def test_the_first_rule_whose_facts_hold_is_chosen(facts, chosen):
    assert BOOK.choose("act", facts).rule_id == chosen


def test_a_fact_is_not_asked_once_the_choice_is_made():
    asked = []
    BOOK.choose("act", {"a": True, "b": False, "c": lambda: asked.append("c")})
    assert asked == []


@pytest.mark.parametrize("text, span, chosen", [
    pytest.param("met in Bishkek", (7, 14), "after_in", id="before-pattern"),
    pytest.param("the Bishkek summit", (4, 11), "before_noun", id="after-pattern-with-a-lexicon-part"),
    pytest.param("in the city of Bishkek", (15, 22), None, id="before-pattern-out-of-its-window"),
    pytest.param("Bishkek hosted it", (0, 7), None, id="neither"),
])
def test_context_patterns_choose_by_the_text_around_the_anchor(text, span, chosen):
    rule = BOOK.choose("place", text=text, span=span)
    assert (rule.rule_id if rule else None) == chosen


def test_one_is_for_an_action_with_one_rule_and_names_what_is_wrong():
    assert BOOK.one("solo").rule_id == "alone"
    with pytest.raises(KeyError, match="has 3 rules"):
        BOOK.one("act")
    with pytest.raises(KeyError, match="no rule in reference/rules/ names the action nothing"):
        BOOK.one("nothing")
