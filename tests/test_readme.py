"""The README's commands are the ones CI runs."""

from __future__ import annotations

import re

from .conftest import REPO


def _command_after(heading: str) -> str:
    text = (REPO / "README.md").read_text()
    section = text.split(f"## {heading}\n", 1)[1]
    return re.search(r"```bash\n(.+?)\n```", section, re.S)[1].strip()


def test_ci_runs_the_readme_test_command():
    command = _command_after("Run the tests")
    assert "pytest" in command
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines


def test_readme_names_files_that_exist():
    text = (REPO / "README.md").read_text()
    for path in re.findall(r"`((?:requirements[\w-]*\.txt)|environment\.yml|\.ci/run)`", text):
        assert (REPO / path).exists(), path
    for command in (_command_after("Run the course"), _command_after("Run the tests")):
        for requirement in re.findall(r"-r (\S+)", command):
            assert (REPO / requirement).is_file(), requirement
