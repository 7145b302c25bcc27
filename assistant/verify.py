"""Checks that an answer states no number without a source (interim: digit-level check).

Owns ``sourced_numbers`` (numbers of the cited clauses and the calculations) and
``unsourced_numbers``. The claims verifier of the trust work replaces this module.
"""

from __future__ import annotations

import re

from assistant.amounts import format_yuan
from assistant.types import Answer

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CITED = re.compile(r"\[([^\[\]]+)\]")


def sourced_numbers(answer: Answer) -> set[str]:
    """Every number the answer may state: those in its cited clauses and its calculations."""
    sources = " ".join([c.text for c in answer.citations] + [c.formula + f" {c.amount_yuan} {format_yuan(c.amount_yuan)}" for c in answer.calculations]
                       + [b.formula + " " + b.standard + (f" {format_yuan(b.amount_yuan)} {b.amount_yuan}" if b.amount_yuan is not None else "")
                          for b in answer.blocks])
    if answer.total_yuan is not None:
        sources += f" {answer.total_yuan} {format_yuan(answer.total_yuan)}"
    return set(_NUMBER.findall(sources))


def unsourced_numbers(text: str, allowed: set[str]) -> list[str]:
    return [n for n in _NUMBER.findall(_CITED.sub("", text)) if n not in allowed]
