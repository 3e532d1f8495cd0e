"""Problems as data: collected, raised together once, rendered at the CLI boundary."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Issue:
    """One problem: where it is (file:line or table/row), what rule it breaks, and why."""

    where: str
    rule: str
    message: str
    table: str | None = None
    field: str | None = None
    value: str | None = None

    def render(self) -> str:
        """One line a person can act on."""
        bits = [self.where]
        if self.table:
            bits.append(self.table + ("." + self.field if self.field else ""))
        head = ": ".join(bits)
        value = f" (value: {self.value!r})" if self.value is not None else ""
        return f"{head}: {self.message}{value} [{self.rule}]"

    def to_dict(self) -> dict:
        """JSON-ready form for the report written beside the outputs."""
        return asdict(self)


class PipelineError(Exception):
    """Raised once with every issue a stage found."""

    def __init__(self, stage: str, issues: list[Issue]):
        self.stage = stage
        self.issues = issues
        super().__init__(f"{stage}: {len(issues)} problem(s)")

    def __reduce__(self):  # raised in a child process, it travels back whole
        return PipelineError, (self.stage, self.issues)
