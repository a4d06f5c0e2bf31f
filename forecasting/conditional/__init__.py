"""Conditional questions: a pair of binary questions (parent, child) on which forecasters give P(child | parent yes)
and P(child | parent no); each branch has its own community forecast and is scored like a binary forecast of the
child, only on the branch the parent's outcome selected (docs/scoring.md, "Conditional pairs")."""
