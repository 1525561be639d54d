"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest
from factories import sample_facts

from pipeline.structure import ReleaseFacts


@pytest.fixture
def facts() -> ReleaseFacts:
    return sample_facts()
