"""Fixtures shared by the full_tunnel scenario's tests."""

import pytest

import wirefleet_verify as wv

GATEWAY, LAPTOP = "wf-full_tunnel-gateway", "wf-full_tunnel-laptop"


@pytest.fixture(scope="module")
def gateway():
    return wv.host(GATEWAY)


@pytest.fixture(scope="module")
def laptop():
    return wv.host(LAPTOP)
