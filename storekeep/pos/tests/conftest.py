import pytest
from rest_framework.test import APIClient

from .factories import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def world_excl(db):
    return build_world(prices_include_tax=False)


@pytest.fixture
def api():
    return APIClient()
