"""Fixtures for the deploy tooling: the real manifest and the bundle's final set of units."""
from __future__ import annotations

import pytest

from infra import manifest
from tests.support.fixture_manifest import FIXTURE_MANIFEST


@pytest.fixture(scope="session")
def fixture_units() -> list[manifest.Unit]:
    return manifest.load(FIXTURE_MANIFEST)


@pytest.fixture(scope="session")
def real_units() -> list[manifest.Unit]:
    return manifest.load()


@pytest.fixture(params=["fixture", "real"])
def units(request) -> list[manifest.Unit]:
    """Each test runs on the final set of units and on the manifest as it is today."""
    return manifest.load(FIXTURE_MANIFEST if request.param == "fixture" else manifest.MANIFEST)
