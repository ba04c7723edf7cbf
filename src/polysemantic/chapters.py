"""The chapter modules, imported so that their graded questions are registered.

Add a chapter's module here when it gains questions: 01 monosemanticity,
03 capacity, 04 radio, 05 directions, 06 superposition, 07 why_it_matters.
"""

from polysemantic import (  # noqa: F401
    capacity,
    directions,
    monosemanticity,
    radio,
    superposition,
    why_it_matters,
)
