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


# --- Colab badges: the zero-install way into the course (issue 7) -----------------------------

_COLAB_LINK = re.compile(r"https?://colab\.research\.google\.com/[^\s)\"'<>\]]*")
NOTEBOOKS = [p.relative_to(REPO).as_posix() for p in sorted((REPO / "notebooks").glob("*.ipynb"))]


def missing_badges(text: str, notebooks=NOTEBOOKS) -> list[str]:
    """The notebooks whose exact ``course.colab_badge`` is not in ``text``."""
    from bootcamp_utils.course import colab_badge

    return [path for path in notebooks if colab_badge(path) not in text]


def stray_colab_links(text: str, notebooks=NOTEBOOKS) -> list[str]:
    """Colab addresses in ``text`` other than the notebooks' own and the badge image."""
    from bootcamp_utils.course import colab_badge, colab_url

    badge_image = re.match(r"\[!\[[^\]]*\]\(([^)]+)\)", colab_badge("x"))[1]
    allowed = {colab_url(path) for path in notebooks} | {badge_image}
    return sorted(set(_COLAB_LINK.findall(text)) - allowed)


def test_readme_has_the_colab_badge_of_every_notebook():
    missing = missing_badges((REPO / "README.md").read_text())
    assert not missing, (
        f"README.md lacks the Colab badge of {missing}: paste the output of\n"
        "python -c 'import pathlib; from bootcamp_utils.course import colab_badge; "
        "print(*(colab_badge(p.as_posix()) for p in "
        'sorted(pathlib.Path("notebooks").glob("*.ipynb"))), sep="\\n")\''
    )


def test_readme_colab_links_open_course_notebooks():
    stray = stray_colab_links((REPO / "README.md").read_text())
    assert not stray, f"Colab links in README.md that open no course notebook: {stray}"


def test_badge_checks_catch_wrong_links():
    from bootcamp_utils.course import BRANCH, colab_badge

    notebooks = ["notebooks/01_a.ipynb", "notebooks/02_b.ipynb"]
    good = "\n".join(f"- {colab_badge(path)}" for path in notebooks)
    assert missing_badges(good, notebooks) == [] and stray_colab_links(good, notebooks) == []
    other_branch = good.replace(f"/blob/{BRANCH}/", "/blob/elsewhere/")
    assert missing_badges(other_branch, notebooks) == notebooks
    assert len(stray_colab_links(other_branch, notebooks)) == 2
    assert missing_badges(good.split("\n")[0], notebooks) == ["notebooks/02_b.ipynb"]
    fork = good + "\n[x](https://colab.research.google.com/github/someone/fork/blob/main/n.ipynb)"
    assert stray_colab_links(fork, notebooks) == [
        "https://colab.research.google.com/github/someone/fork/blob/main/n.ipynb"
    ]
