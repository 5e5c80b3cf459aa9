import doctest
import importlib
import subprocess
import sys

import pytest

MODULES = ["matching", "matching.records", "matching.params", "matching.exceptions",
           "matching._frozen", "matching.features", "matching.scoring", "matching.graph",
           "matching.solvers", "matching.engine", "matching.explain", "matching.result",
           "matching.datasets", "matching.cli", "matching.network", "matching.scan",
           "matching.pricing", "matching.reasons", "matching.suggest"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
    assert hasattr(module, "__all__") and module.__doc__


def test_import_does_not_pull_web_or_database():
    code = ("import sys, matching, matching.cli; "
            "bad = [m for m in ('flask', 'sqlalchemy', 'tqdm') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
