"""Fixtures shared by the star scenario's tests; helpers are in star_fleet.py."""

import pytest

from star_fleet import NEWBIE, node


def pytest_collection_modifyitems(items):
    """test_faults.py stops a host and breaks things on purpose, so it runs last, after test_star.py
    (molecule passes the test files sorted by name, which would put it first)."""
    items.sort(key=lambda item: item.path.name == "test_faults.py")


@pytest.fixture(scope="module")
def hub():
    return node("wf-star-hub")


@pytest.fixture(scope="module")
def desktop():
    return node("wf-star-desktop")


@pytest.fixture(scope="module")
def laptop():
    return node("wf-star-laptop")


@pytest.fixture(scope="module")
def pi():
    return node("wf-star-pi")


@pytest.fixture(scope="module")
def internet():
    return node("wf-star-internet")


@pytest.fixture(scope="module")
def newbie():
    return node(NEWBIE)
