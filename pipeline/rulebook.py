"""The rule book: the rules of reference/rules/ by the actions that apply them.

An action is a named step of the reader or the resolver ("meeting_city", "document_meeting"). It asks
the book for its rule: `one(action)` where the action has one rule, `choose(action, ...)` where the
rows' `when` facts and `before`/`after` context patterns decide (the first row, in file order, that
fits). Code names actions and facts, never a rule id: the id, the basis and the conditions are data.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from pipeline.lexicon import Lexicon, Rule
from pipeline.matcher import alternation
from pipeline.reference import Reference

_PART = re.compile(r"\{([a-z_]+)\}")  # a lexicon part in a context pattern ({0,3} is a quantifier)
Facts = Mapping[str, "bool | Callable[[], bool]"]


class RuleBook:
    """Every rule by the actions that apply it, with their context patterns compiled."""

    def __init__(self, rules: dict[str, Rule], lexicon: Lexicon):
        self._tests: dict[str, list[tuple]] = {}  # per action: (rule, facts' alternatives, before, after)
        for rule in rules.values():
            before = re.compile(f"(?:{_with_parts(rule.before, lexicon)})$", re.I) if rule.before is not None else None
            after = re.compile(_with_parts(rule.after, lexicon), re.I) if rule.after is not None else None
            facts = tuple(tuple((name[4:], True) if name.startswith("not ") else (name, False) for name in alt)
                          for alt in rule.when)
            for action in rule.actions:
                self._tests.setdefault(action, []).append((rule, facts, before, after))
        self._only = {action: tests[0][0] for action, tests in self._tests.items() if len(tests) == 1}

    def one(self, action: str) -> Rule:
        """The only rule of an action."""
        if action in self._only:
            return self._only[action]
        rules = self.rules_of(action)
        if len(rules) != 1:
            raise KeyError(f"action {action} has {len(rules)} rules in reference/rules/; it needs one (or choose)")
        return rules[0]

    def rules_of(self, action: str) -> list[Rule]:
        """An action's rules, in file order."""
        if action not in self._tests:
            raise KeyError(f"no rule in reference/rules/ names the action {action}")
        return [test[0] for test in self._tests[action]]

    def choose(self, action: str, facts: Facts | None = None, text: str = "", span: tuple[int, int] = (0, 0)) -> Rule | None:
        """The first rule of an action whose facts hold (a fact is a bool or a function asked when needed)
        and whose context patterns fit the text around `span`; None where none does."""
        if action not in self._tests:
            self.rules_of(action)  # raises, naming the action
        for rule, alternatives, before, after in self._tests[action]:
            if alternatives:
                for alternative in alternatives:
                    if _all_hold(facts, alternative):
                        break
                else:
                    continue
            if before is not None and not before.search(text[max(0, span[0] - rule.before_window):span[0]]):
                continue
            if after is not None and not after.match(text, span[1]):
                continue
            return rule
        return None


def _all_hold(facts: Facts | None, alternative: tuple[tuple[str, bool], ...]) -> bool:
    """Whether every fact of an alternative is true (false where negated); a fact given as a function is asked."""
    for name, negated in alternative:
        value = facts[name]
        if value.__class__ is not bool:
            value = bool(value() if callable(value) else value)
        if value is negated:
            return False
    return True


def _with_parts(pattern: str, lexicon: Lexicon) -> str:
    """A context pattern with each {part} written as the lexicon's alternation of that list."""
    return _PART.sub(lambda m: alternation(getattr(lexicon, m.group(1))) if m.group(1) in Lexicon.model_fields
                     else m.group(0), pattern)


@functools.lru_cache(maxsize=8)
def rulebook_for(ref: Reference) -> RuleBook:
    """The rule book of a reference (one per reference)."""
    return RuleBook(ref.rules, ref.lexicon)
