"""Extract, signatories: the states a sentence names as signing or founding a document."""

from __future__ import annotations


from pipeline.mentions import DocumentMention
from pipeline.provenance import Signatory
from pipeline.reference import fold_name



class SignatoryReading:
    """The reader's signatory actions (a part of `extract._Reader`, whose context they share)."""

    def _signatories(self, pi, s, e, sent, docs: list[DocumentMention]) -> None:
        for role, found in self.scan.each("signatory_cues"):
            for mt in found:
                states = self._state_list(s, sent, mt.end())
                if not states:
                    continue
                rule = self.rules.one("signatories")
                target = next((d for d in reversed(docs) if d.title.start - s < mt.start()), None) or (docs[0] if docs else None)
                if target is not None:
                    target = self._resolve_antecedent(target)
                    for code, name, a, b in states:
                        target.signatories.append(Signatory(a, b, rule.basis, rule.rule_id, code, name, role))
                else:
                    self.pending_founders.extend(
                        Signatory(a, b, rule.basis, rule.rule_id, code, name, role) for code, name, a, b in states)

    def _resolve_antecedent(self, d: DocumentMention) -> DocumentMention:
        while d.antecedent is not None:
            d = self.documents[d.antecedent[1]]
        return d

    def _state_list(self, s: int, sent: str, pos: int) -> list[tuple[str, str, int, int]]:
        out = []
        for mt in self.m.finditer("state_list", sent[pos:]):
            if mt.start() != (out[-1][3] - s - pos if out else 0):
                break
            name = mt.group(1)
            code = self._state_code(name)
            if code is None:
                break
            a = s + pos + mt.start(1)
            out.append((code, name, a, a + len(name)))
        return out

    def _state_code(self, name: str) -> str | None:
        code = self.ref.states.get(fold_name(name))
        if code:
            return code
        import pycountry

        try:
            return pycountry.countries.lookup(name).alpha_3
        except LookupError:
            return None
