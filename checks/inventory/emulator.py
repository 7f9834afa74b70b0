"""An API the endpoint does not implement becomes one memoised ERROR, not a crash per check.

In-process emulators (moto's ``mock_aws``) raise ``NotImplementedError`` for operations
they lack, which :meth:`Inventory.memo` does not keep: every check needing the listing
would call again. Fetchers of APIs that emulators are known to lack wrap their calls in
:func:`missing_api`, so the failure is a :class:`FetchError` that is memoised and
reported once per check as ``NotImplemented``. Real AWS never takes this path.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from checks.inventory.core import FetchError


@contextmanager
def missing_api(operation: str) -> Iterator[None]:
    try:
        yield
    except NotImplementedError as exc:
        raise FetchError("NotImplemented", str(exc), operation) from exc
