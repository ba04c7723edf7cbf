"""The repository's address is set once, in book/_config.yml, and everything agrees with it."""

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from polysemantic.authoring.exercises import sync
from polysemantic.authoring.repository import (
    Repository,
    RepositoryError,
    read_repository,
    set_install_line,
)
from polysemantic.cli import main

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = read_repository(ROOT)
NOTEBOOKS = sorted((ROOT / "solutions").glob("*.ipynb")) + sorted(
    (ROOT / "exercises").glob("*.ipynb")
)
# Any GitHub or GitHub Pages address written in a page a reader follows.
_ADDRESS = re.compile(r"https://(?:github\.com/[\w.-]+/[\w.-]+|[\w.-]+\.github\.io/[\w./-]*)")


def test_the_address_is_a_github_repository():
    assert REPOSITORY.url == f"https://github.com/{REPOSITORY.owner}/{REPOSITORY.name}"
    assert REPOSITORY.pages_url == (
        f"https://{REPOSITORY.owner.lower()}.github.io/{REPOSITORY.name}/"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_notebook_installs_the_course_from_the_address(path):
    setup = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert REPOSITORY.install_line in setup.source


@pytest.mark.parametrize("page", ["README.md", "book/intro.md"])
def test_readme_and_intro_give_the_address(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    assert REPOSITORY.clone_command in text
    addresses = set(_ADDRESS.findall(text))
    assert addresses, f"{page} gives no address of the course"
    assert addresses <= {REPOSITORY.url, REPOSITORY.pages_url}, addresses


def test_readme_gives_the_published_book():
    assert REPOSITORY.pages_url in (ROOT / "README.md").read_text(encoding="utf-8")


def _course_copy(tmp_path: Path, url: str) -> Path:
    """The course's notebooks and config, with another repository address."""
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "book").mkdir()
    config = (ROOT / "book" / "_config.yml").read_text(encoding="utf-8")
    assert REPOSITORY.url in config
    (tmp_path / "book" / "_config.yml").write_text(config.replace(REPOSITORY.url, url))
    return tmp_path


def test_a_new_address_is_reported_then_written_into_every_notebook(tmp_path, capsys):
    root = _course_copy(tmp_path, "https://github.com/someone/fork")
    fork = read_repository(root)
    problems = sync(root / "solutions", root / "exercises", check=True, repository=fork)
    assert len(problems) == 2 * len(list((root / "solutions").glob("*.ipynb")))
    assert main(["exercises", "--check", "--root", str(root)]) == 1
    assert main(["exercises", "--root", str(root)]) == 0
    assert sync(root / "solutions", root / "exercises", check=True, repository=fork) == []
    for path in root.glob("*/*.ipynb"):
        text = path.read_text(encoding="utf-8")
        assert "git+https://github.com/someone/fork@main" in text
        assert REPOSITORY.url not in text
    # Only the install line changed in the solutions.
    before = (ROOT / "solutions" / "01_monosemanticity.ipynb").read_text(encoding="utf-8")
    after = (root / "solutions" / "01_monosemanticity.ipynb").read_text(encoding="utf-8")
    lines = zip(before.splitlines(), after.splitlines(), strict=True)
    changed = [(a, b) for a, b in lines if a != b]
    assert len(changed) == 1 and "%pip install" in changed[0][1]


@pytest.mark.parametrize(
    "config, complaint",
    [
        ("title: x\n", "repository.url must be a GitHub address"),
        ('repository:\n  url: "https://gitlab.com/a/b"\n', "not 'https://gitlab.com/a/b'"),
        ("repository: [unclosed\n", "not valid YAML"),
    ],
)
def test_a_bad_address_is_one_clear_line(tmp_path, capsys, config, complaint):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "_config.yml").write_text(config)
    with pytest.raises(RepositoryError, match=re.escape(complaint)):
        read_repository(tmp_path)
    assert main(["exercises", "--root", str(tmp_path)]) == 2
    message = capsys.readouterr().err.strip()
    assert "\n" not in message and "_config.yml" in message and complaint in message


def test_a_setup_cell_without_exactly_one_install_line_is_refused():
    repository = Repository("https://github.com/a/b", "main")
    with pytest.raises(RepositoryError, match="it has 0"):
        set_install_line("import torch", repository, "x.ipynb")
    line = '%pip install --quiet "polysemantic @ git+https://github.com/c/d"'
    with pytest.raises(RepositoryError, match="it has 2"):
        set_install_line(f"{line}\n{line}", repository, "x.ipynb")
    source = f'if "google.colab" in sys.modules:\n    {line}\nimport torch'
    assert set_install_line(source, repository, "x.ipynb") == (
        'if "google.colab" in sys.modules:\n'
        '    %pip install --quiet "polysemantic @ git+https://github.com/a/b@main"\n'
        "import torch"
    )
