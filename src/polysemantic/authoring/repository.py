"""The course's repository address, set in one place: `repository` in book/_config.yml.

Jupyter Book reads it for the launch buttons (Colab opens
`colab.research.google.com/github/OWNER/NAME/blob/BRANCH/...`). The rest of the
course takes it from here:

- the notebooks' setup cell, whose Colab install line `polysemantic exercises`
  writes (`install_line`, `set_install_line`);
- the README and the book's introduction, which a test checks against
  `clone_command` and `pages_url`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CONFIG = Path("book") / "_config.yml"
_GITHUB = re.compile(r"^https://github\.com/([A-Za-z0-9][\w.-]*)/([\w.-]+)$")
_INSTALL = re.compile(r'^(\s*)%pip install --quiet "polysemantic @ git\+\S+"\s*$')


class RepositoryError(ValueError):
    """A missing or malformed repository address; the message says where and why."""


@dataclass(frozen=True)
class Repository:
    url: str  # https://github.com/OWNER/NAME
    branch: str

    @property
    def owner(self) -> str:
        return _GITHUB.match(self.url).group(1)

    @property
    def name(self) -> str:
        return _GITHUB.match(self.url).group(2)

    @property
    def install_line(self) -> str:
        """The setup cell's line that installs the course in Colab."""
        return f'%pip install --quiet "polysemantic @ git+{self.url}@{self.branch}"'

    @property
    def clone_command(self) -> str:
        return f"git clone {self.url}"

    @property
    def pages_url(self) -> str:
        """Where GitHub Pages publishes the book of this repository."""
        return f"https://{self.owner.lower()}.github.io/{self.name}/"


def read_repository(root: Path) -> Repository:
    """The repository set in ROOT/book/_config.yml."""
    import yaml

    path = root / CONFIG
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise RepositoryError(f"{path}: cannot read it ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise RepositoryError(f"{path}: not valid YAML ({error})".replace("\n", " ")) from None
    section = config.get("repository") if isinstance(config, dict) else None
    url = section.get("url") if isinstance(section, dict) else None
    if not isinstance(url, str) or not _GITHUB.match(url.strip()):
        raise RepositoryError(
            f"{path}: repository.url must be a GitHub address like "
            f"https://github.com/OWNER/NAME, not {url!r}"
        )
    branch = section.get("branch") or "main"
    return Repository(url=url.strip(), branch=str(branch))


def set_install_line(source: str, repository: Repository, where: str) -> str:
    """SOURCE, a setup cell, with its Colab install line pointing at REPOSITORY."""
    lines = source.split("\n")
    found = [i for i, line in enumerate(lines) if _INSTALL.match(line)]
    if len(found) != 1:
        raise RepositoryError(
            f"{where}: the setup cell needs exactly one line "
            f'`%pip install --quiet "polysemantic @ git+..."`, it has {len(found)}'
        )
    i = found[0]
    lines[i] = _INSTALL.match(lines[i]).group(1) + repository.install_line
    return "\n".join(lines)
