"""The chapter modules, imported so that their graded questions are registered.

Add a chapter's module here when it gains questions.
"""

from polysemantic import (
    monosemanticity,  # noqa: F401  (01)
    superposition,  # noqa: F401  (06)
)
