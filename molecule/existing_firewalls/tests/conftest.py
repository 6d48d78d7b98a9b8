"""Fixtures of the existing_firewalls scenario; names and helpers are in ef_fleet.py."""

import pytest

import ef_fleet as ef

ORDER = ("test_existing_firewalls.py", "test_reloads.py", "test_rules_removed.py", "test_drift.py", "test_removal.py")


def pytest_collection_modifyitems(items):
    """Reloads and refusals after the plain checks, then rules removed by hand, drift; removal (every host
    absent) last."""
    items.sort(key=lambda item: ORDER.index(item.path.name) if item.path.name in ORDER else -1)


@pytest.fixture(scope="session")
def nodes():
    return {name: ef.node(name) for name in (ef.HUB, ef.GATEWAY, ef.DOCKER, ef.DESKTOP, ef.INTERNET, ef.LANHOST,
                                             ef.DLANHOST)}
