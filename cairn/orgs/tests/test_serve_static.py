"""`cairn serve` collects static files only when a source file is newer than the manifest."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders

from cairn.orgs.management.commands.serve import static_files_current


@pytest.fixture
def static_dirs(tmp_path: Path, settings: Any) -> Iterator[tuple[Path, Path]]:
    source, root = tmp_path / "source", tmp_path / "root"
    source.mkdir()
    root.mkdir()
    (source / "app.css").write_text("body {}")
    settings.STATICFILES_DIRS = [source]
    settings.STATIC_ROOT = root
    finders.get_finder.cache_clear()
    yield source, root
    finders.get_finder.cache_clear()


def test_static_files_are_collected_again_only_when_a_source_changed(
    static_dirs: tuple[Path, Path],
) -> None:
    source, root = static_dirs
    assert not static_files_current()  # never collected
    manifest = root / "staticfiles.json"
    manifest.write_text("{}")
    later = time.time() + 60
    os.utime(manifest, (later, later))
    assert static_files_current()
    os.utime(source / "app.css", (later + 60, later + 60))
    assert not static_files_current()
