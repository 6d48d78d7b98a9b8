"""Fixtures of the rotation scenario's tests; helpers are in rotate_fleet.py."""

import pytest

from rotate_fleet import node


@pytest.fixture(scope="module")
def hub():
    return node("wf-rot-hub")


@pytest.fixture(scope="module")
def alpha():
    return node("wf-rot-alpha")


@pytest.fixture(scope="module")
def beta():
    return node("wf-rot-beta")


@pytest.fixture(scope="module")
def phone():
    return node("wf-rot-phone")


@pytest.fixture(scope="module")
def clients(alpha, beta):
    return [alpha, beta]
