"""Progress bars for long loops that never flood a notebook's stored outputs.

In a notebook the bar is a widget (one output, updated in place); set the
environment variable POLYSEMANTIC_PROGRESS=0 to switch bars off, as the book
build and the tests do so that stored outputs stay identical between runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "") -> Iterator[T]:
    if os.environ.get("POLYSEMANTIC_PROGRESS", "1") == "0":
        return iter(iterable)
    from tqdm.auto import tqdm

    return iter(tqdm(iterable, total=total, desc=desc, leave=False, mininterval=0.5))
