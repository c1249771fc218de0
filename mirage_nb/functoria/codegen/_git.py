"""``register ~src:`Auto``: the opam ``url`` of a unikernel kept in a git repository.

Functoria asks git for the current branch and the ``origin`` remote of the
repository enclosing the config, and rewrites the remote into a URL opam can
fetch (``git@github.com:a/b.git`` becomes ``git+https://github.com/a/b.git``).
Here the repository's own files (``.git/HEAD`` and ``.git/config``) are read
instead of running git, so the answer depends only on what is on disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GitInfo", "find_git", "public_url", "src_of"]


@dataclass(frozen=True)
class GitInfo:
    """Where the config sits in its repository, the branch checked out, and the origin URL."""

    subdir: str | None  # "app/" when the config directory is not the repository's root
    branch: str
    origin: str


def _git_dir(root: Path) -> Path | None:
    dot = root / ".git"
    if dot.is_dir():
        return dot
    if dot.is_file():  # a worktree or submodule: "gitdir: <path>"
        text = dot.read_text(errors="replace").strip()
        if text.startswith("gitdir:"):
            p = Path(text[len("gitdir:") :].strip())
            return p if p.is_absolute() else (root / p)
    return None


_SECTION = re.compile(r'^\s*\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]\s*$')


def _origin_url(config: str) -> str | None:
    section: tuple[str, str | None] | None = None
    for line in config.splitlines():
        m = _SECTION.match(line)
        if m:
            section = (m[1].lower(), m[2])
            continue
        if section == ("remote", "origin"):
            key, _, value = line.partition("=")
            if key.strip().lower() == "url":
                return value.strip().strip('"')
    return None


def find_git(build_dir: Path) -> GitInfo | None:
    """The repository enclosing ``build_dir`` (the config's directory), or None (then no ``url``)."""
    start = build_dir.resolve()
    parts: list[str] = []
    p = start
    while True:
        gd = _git_dir(p)
        if gd is not None:
            break
        if p.parent == p:
            return None
        parts.insert(0, p.name)
        p = p.parent
    try:
        head = (gd / "HEAD").read_text().strip()
        config = (gd / "config").read_text(errors="replace")
    except OSError:
        return None
    branch = head[len("ref: refs/heads/") :] if head.startswith("ref: refs/heads/") else "HEAD"
    origin = _origin_url(config)
    if origin is None:
        return None  # `git remote get-url origin` fails: functoria then gives no url at all
    subdir = "".join(f"{x}/" for x in parts) or None
    return GitInfo(subdir, branch, origin)


_SSH = re.compile(r"^(?P<user>[^@\s/:]+)@(?P<host>[^:\s/]+):(?P<path>.*)$")


def public_url(origin: str) -> str:
    """An origin remote as opam can fetch it (functoria's ``Endpoint`` rewriting)."""
    m = _SSH.match(origin)
    if m:
        return f"git+https://{m['host']}/{m['path']}"
    from urllib.parse import urlsplit  # only a config inside a git checkout with a remote

    parts = urlsplit(origin)
    if parts.scheme and parts.hostname:
        port = f":{parts.port}" if parts.port is not None else ""
        if parts.scheme in ("git", "http", "https"):
            return f"git+https://{parts.hostname}{port}{parts.path}"
        return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"
    return "git+https://invalid/endpoint"


def src_of(git: GitInfo | None) -> tuple[str | None, str | None]:
    """``(subdir, url)`` for the opam file: ``<public url>#<branch>``."""
    if git is None:
        return None, None
    return git.subdir, f"{public_url(git.origin)}#{git.branch}"
