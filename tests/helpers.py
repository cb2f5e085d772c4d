"""Helpers shared by several test modules (test modules never import one another).

Status feeds: the feed-parser tests' clock, inputs and fixture reader. Real captures live in
tests/fixtures/status-feeds/, synthetic ones in tests/fixtures/synthetic/.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

# ------------------------------------------------------------------------------ status feeds

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "status-feeds"
DATA = REPO / "tests" / "fixtures" / "synthetic"
SAMPLE_RECOVERY = REPO / "prompts" / "sample-status" / "recovery.json"
SCHEMA = REPO / "docs" / "recovery-feed.schema.json"
NOW = datetime(2025, 7, 16, 12, 0, tzinfo=UTC)
BEFORE_EDIT = "githubstatus_history_2025-07-14_before-edit.atom"
AFTER_EDIT = "githubstatus_history_2025-07-15_after-edit.atom"
EDITED_ENTRY = "tag:www.githubstatus.com,2005:Incident/25724106"


def fixture(name: str) -> bytes:
    path = FIXTURES / name
    if not path.is_file():
        pytest.fail(f"fixture {path} is missing from the repository")
    return path.read_bytes()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
