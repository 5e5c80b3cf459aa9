"""The expected access rule of every endpoint (SECURITY.md, family A).

Each area keeps its own module here with a ``POLICY`` dict ``{endpoint: rule}``; they are merged
below. Rules are those of :mod:`mentoring.access`: ``public``, ``login``, ``coordinator``,
``admin`` or ``owner:<what>``.
"""
from __future__ import annotations

import importlib
import pkgutil

POLICY: dict[str, str] = {}
for _module in pkgutil.iter_modules(__path__):
    POLICY.update(importlib.import_module(f"{__name__}.{_module.name}").POLICY)
