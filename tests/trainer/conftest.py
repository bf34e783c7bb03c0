"""Fixtures for the trainer tests (helpers in trainer_testkit.py).

Training our real config takes minutes, so the tests that need models share two tiny ones trained
once per session (see trainer_testkit.train_tiny_models).
"""
from __future__ import annotations

import pytest

from trainer_testkit import TinyModels, copy_project, make_tiny_project, train_tiny_models
from moments.trainer.project import Project


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> TinyModels:
    return train_tiny_models(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def project(tmp_path) -> Project:
    """A full copy of this checkout's data, for commands that edit it."""
    return copy_project(tmp_path / "project")


@pytest.fixture
def tiny_project(tmp_path) -> Project:
    return make_tiny_project(tmp_path / "tiny")
