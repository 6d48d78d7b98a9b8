"""docs/scenarios/*.md must show what the engine renders for the example inventories today."""

from __future__ import annotations

import os

import pytest
from example_inventories import names
from scenario_docs import DOCS, page


@pytest.mark.parametrize("name", names())
def test_scenario_page_is_current(name):
    path = os.path.join(DOCS, "%s.md" % name)
    with open(path, encoding="utf-8") as handle:
        assert handle.read() == page(name), "%s is stale: run make docs" % path
