"""The chapter modules, imported so that their graded questions are registered.

Add a chapter's module here when it gains questions: 01 monosemanticity,
02 polysemanticity, 03 capacity, 04 radio, 05 directions, 06 superposition,
07 why_it_matters, 08 sparse_autoencoder.
"""

from polysemantic import (  # noqa: F401
    capacity,
    directions,
    monosemanticity,
    polysemanticity,
    radio,
    sparse_autoencoder,
    superposition,
    why_it_matters,
)
