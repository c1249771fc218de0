"""A virtual file system: what ``configure`` does, held as data before it touches a disk.

Functoria runs its configure step as a value of its ``Action`` monad, which
can be interpreted for real or in a dry run (that is how ``mirage query
files`` learns which files the devices' configure hooks would write). Here the
same idea is a :class:`VirtualFS`: code generation writes, appends and
removes files in it; the caller shows the result in a notebook, compares it
with a reference, or calls :meth:`VirtualFS.apply` to write it to disk.

It also carries two things a run needs and that functoria keeps in process
globals: the messages the real tool prints on stdout ("Successfully
configured the unikernel...", printed once per run), and :attr:`state`, a
scratch dictionary where devices record what later hooks read (the networks
and block devices a solo5 manifest lists). Keeping them here, per run, means
two runs in one notebook never see each other's devices.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from mirage_nb.errors import ConfigError

__all__ = ["VirtualFS", "RUN_STATE", "normalize"]

#: Key of :attr:`VirtualFS.state` in ``Info.extra`` while hooks of a run execute.
RUN_STATE = "run_state"


def normalize(path: str) -> str:
    """A relative POSIX path in its plain form (``./mirage//main.ml`` → ``mirage/main.ml``)."""
    if not isinstance(path, str) or not path:
        raise ConfigError(f"a file path must be a non-empty string, not {path!r}")
    if path.startswith("/"):
        raise ConfigError(f"generated files live under the config directory; {path!r} is absolute")
    p = posixpath.normpath(path)
    if p == ".." or p.startswith("../"):
        raise ConfigError(f"generated file {path!r} would be outside the config directory")
    return p


class VirtualFS:
    """Files of one configure run, kept in memory.

    ``initial`` is what already exists (e.g. files read from the disk), so
    that :meth:`read` and :meth:`exists` see it; :meth:`files` returns only
    what this run wrote. A view rooted in a subdirectory is made with
    :meth:`sub`; a dry run sharing messages and state with :meth:`dry`.
    """

    def __init__(self, initial: dict[str, str] | None = None) -> None:
        self._files: dict[str, str] = {normalize(k): v for k, v in (initial or {}).items()}
        self._written: set[str] = set()
        self._removed: set[str] = set()
        self._once: set[str] = set()
        self.messages: list[str] = []
        self.state: dict[str, Any] = {}
        self.log: list[tuple[str, str]] = []
        self._root = ""
        self._owner = self

    # -- views -----------------------------------------------------------------

    def sub(self, directory: str) -> VirtualFS:
        """The same file system seen from ``directory`` (functoria's ``with_dir``)."""
        view = object.__new__(VirtualFS)
        view.__dict__.update(self.__dict__)
        view._root = self._path(directory) if directory not in ("", ".", "./") else self._root
        return view

    def dry(self) -> VirtualFS:
        """An empty file system for a dry run, sharing this run's messages and state."""
        d = VirtualFS()
        d.messages = self.messages
        d.state = self.state
        d._once = self._once
        return d

    def _path(self, path: str) -> str:
        return normalize(posixpath.join(self._root, path) if self._root else path)

    # -- operations ----------------------------------------------------------

    def write(self, path: str, text: str) -> None:
        p = self._path(path)
        self._files[p] = text
        self._written.add(p)
        self._removed.discard(p)
        self.log.append(("write", p))

    def append(self, path: str, text: str) -> None:
        p = self._path(path)
        self._files[p] = self._files.get(p, "") + text
        self._written.add(p)
        self._removed.discard(p)
        self.log.append(("append", p))

    def read(self, path: str) -> str:
        p = self._path(path)
        try:
            return self._files[p]
        except KeyError:
            raise ConfigError(f"cannot read {p}: no such file in this configure run") from None

    def exists(self, path: str) -> bool:
        return self._path(path) in self._files

    def remove(self, path: str) -> None:
        p = self._path(path)
        self._files.pop(p, None)
        self._written.discard(p)
        self._removed.add(p)
        self.log.append(("remove", p))

    def files(self) -> dict[str, str]:
        """Every file this run wrote, by path relative to the root, sorted by path."""
        return {p: self._files[p] for p in sorted(self._written)}

    def removed(self) -> list[str]:
        return sorted(self._removed)

    def created(self) -> list[str]:
        """Paths written by this run, relative to this view's root (``Action.generated_files``)."""
        prefix = self._root + "/" if self._root else ""
        return sorted(p[len(prefix) :] for p in self._written if p.startswith(prefix))

    # -- messages --------------------------------------------------------------

    def message(self, text: str) -> None:
        """A line the real tool prints on stdout during the run."""
        self.messages.append(text)

    def message_once(self, key: str, text: str) -> None:
        """A message printed at most once per run (functoria guards these with a global flag)."""
        if key not in self._once:
            self._once.add(key)
            self.messages.append(text)

    # -- to disk -----------------------------------------------------------------

    def apply(self, root_dir: str | Path) -> list[Path]:
        """Write this run's files under ``root_dir`` and delete its removed files; return the paths written."""
        root = Path(root_dir)
        out: list[Path] = []
        for p in self.removed():
            target = root / p
            if target.is_file():
                target.unlink()
        for p, text in self.files().items():
            target = root / p
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
            out.append(target)
        return out

    def __repr__(self) -> str:
        return f"<VirtualFS {len(self._written)} written, {len(self._removed)} removed>"
