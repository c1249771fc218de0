"""The project's own wheel and the pure-Python wheels it needs in the browser, vendored beside Pyodide.

A site that runs the package under Pyodide (the gallery's ``--in-browser``
pages, the JupyterLite site) carries everything in its ``pyodide/``
directory: Pyodide's runtime (npm, :mod:`mirage_nb.gallery.vendor`), the
wheel of this package built at gallery build time (``pip wheel --no-deps``
on a clean copy of the source tree, dates fixed by ``SOURCE_DATE_EPOCH``),
and the pure-Python wheels of its runtime dependencies and of the kernel,
downloaded once from PyPI (``pip download``, cached). A ``pyodide-lock.json``
written here lists exactly those wheels, with their own SHA-256: micropip
resolves every name from it and loads the files from the site, so nothing
is asked of another host.

Versions: a package Pyodide's own lock knows is taken at that version (the
one Pyodide's maintainers tested), with the dependencies that lock gives;
a few it does not know are pinned in :data:`EXTRA`; any other (a new
dependency of this package) is the newest pure-Python wheel PyPI has for
the requirement, with the dependencies its metadata gives under Pyodide.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mirage_nb.gallery.vendor import VendorError, default_cache

__all__ = [
    "EXTRA",
    "PROJECT",
    "Wheel",
    "build_project_wheel",
    "closure",
    "fetch_wheel",
    "normalize",
    "pypi_resolver",
    "runtime_requirements",
    "runtime_specs",
    "write_lock",
]

PROJECT = "mirage-nb"
"""The distribution name of this package (the name micropip installs)."""

EXTRA: Mapping[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # name: (version, dependencies installed with it, top-level import names)
    "graphviz": ("0.21", (), ("graphviz",)),
    "comm": ("0.2.3", (), ("comm",)),
    # The JupyterLite kernel ships stand-ins for widgetsnbextension and the lab side of the
    # widgets is the site's own extension, so ipywidgets needs only its Python peers here.
    "ipywidgets": ("8.1.8", ("comm", "ipython", "traitlets"), ("ipywidgets",)),
}
"""Pure-Python packages Pyodide's lock does not list, pinned."""

PYODIDE_PYTHON = "3.14"
"""The Python of the vendored Pyodide (pip picks wheels for it)."""

SOURCE_DATE_EPOCH = "315532800"
"""1980-01-01, the earliest date a zip holds: the wheel's bytes depend on its sources only."""

_SOURCE_SKIP = re.compile(
    r"(^|/)(__pycache__|\.ipynb_checkpoints)(/|$)|\.py[co]$"
    r"|^mirage_nb/examples/[^/]+/(dune|dune-project|dune\.config|dune\.build|dune-workspace|Makefile|mirage)(/|$)"
)
"""Files of a working tree that are not sources (byte code, what ``configure`` wrote beside an example)."""


def normalize(name: str) -> str:
    """PEP 503's name: ``Jupyterlab_Widgets`` → ``jupyterlab-widgets``."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Wheel:
    """One wheel of the site: its name (normalized), version, file, dependencies and import names."""

    name: str
    version: str
    path: Path
    depends: tuple[str, ...]
    imports: tuple[str, ...]


def _pip(args: list[str], what: str) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False, env=env
        )
    except OSError as e:  # pragma: no cover - the interpreter itself is missing
        raise VendorError(f"{what}: {e}") from e
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip()[-600:]
        if "No module named pip" in tail:
            tail = "pip is not installed in this environment (pip install 'mirage-nb[gallery]')"
        raise VendorError(f"{what} failed: {tail}")


def source_root() -> Path:
    """The source tree this package runs from (its pyproject.toml beside it), or a clear error."""
    root = Path(__file__).resolve().parent.parent.parent
    if not (root / "pyproject.toml").is_file():
        raise VendorError(
            f"building the site's wheel of {PROJECT} needs its source tree (no pyproject.toml in {root}): "
            "run the gallery build from a checkout (pip install -e .)"
        )
    return root


def _copy_sources(root: Path, dest: Path) -> None:
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (root / name).is_file():
            shutil.copy2(root / name, dest / name)
    pkg = root / "mirage_nb"
    for p in sorted(pkg.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_dir() or _SOURCE_SKIP.search(rel):
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, dest / rel)


def build_project_wheel(dest: Path) -> Path:
    """``pip wheel --no-deps`` of a clean copy of the source tree into ``dest``: the same bytes for the same sources."""
    root = source_root()
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mirage-nb-wheel-") as tmp:
        src = Path(tmp) / "src"
        out = Path(tmp) / "out"
        src.mkdir()
        _copy_sources(root, src)
        _pip(["wheel", "--no-deps", "--quiet", "-w", str(out), str(src)], f"pip wheel {PROJECT}")
        built = sorted(out.glob("mirage_nb-*-py3-none-any.whl"))
        if len(built) != 1:
            raise VendorError(f"pip wheel {PROJECT} wrote {[p.name for p in out.iterdir()]}, expected one wheel")
        target = dest / built[0].name
        shutil.copyfile(built[0], target)
    return target


def runtime_specs() -> tuple[str, ...]:
    """This package's run-time requirements as written in the source tree's pyproject.toml (``h2>=4.1,<5``), sorted.

    Read from the sources the site's wheel is built from, not from the installed
    metadata: an editable install's ``mirage_nb.egg-info`` (found first from the
    checkout) keeps the dependencies of the day it was installed, and a site
    vendored from it missed every dependency added since (h2: ``import
    mirage_nb.lab`` failed in the JupyterLite kernel).
    """
    import tomllib

    with (source_root() / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f).get("project", {})
    return tuple(sorted({str(spec).strip() for spec in project.get("dependencies", [])}))


def runtime_requirements() -> tuple[str, ...]:
    """The names this package requires at run time (its dependencies without an extra), normalized, sorted."""
    return tuple(sorted({_name_of(s) for s in runtime_specs()}))


def _lock_packages(lock: Mapping[str, object]) -> dict[str, dict[str, object]]:
    packages = lock.get("packages")
    if not isinstance(packages, dict):
        raise VendorError("Pyodide's pyodide-lock.json has no packages table")
    return {normalize(k): v for k, v in packages.items()}


Resolver = Callable[[str], tuple[str, tuple[str, ...]]]
"""A requirement (``h2>=4.1,<5``) → the version chosen and the requirements of that version (for Pyodide)."""


def _name_of(spec: str) -> str:
    return normalize(re.split(r"[\s<>=!~\[(;]", spec.strip(), maxsplit=1)[0])


def closure(roots: Iterable[str], lock: Mapping[str, object], resolve: Resolver | None = None) -> list[str]:
    """``roots`` (names or requirements) and everything they depend on, by Pyodide's lock, :data:`EXTRA`,
    or else ``resolve`` (which asks PyPI), as sorted names.

    A package Pyodide builds for WebAssembly (not a pure-Python wheel PyPI
    serves) is an error, and so is a name nothing knows: the site would miss it.
    """
    known = _lock_packages(lock)
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        spec = todo.pop()
        name = _name_of(spec)
        if name in seen:
            continue
        seen.add(name)
        if name in EXTRA:
            todo.extend(EXTRA[name][1])
        elif name in known:
            entry = known[name]
            if not str(entry.get("file_name", "")).endswith("-none-any.whl"):
                raise VendorError(f"{name} is built for WebAssembly by Pyodide (not a pure-Python wheel on PyPI)")
            todo.extend(str(d) for d in entry.get("depends", []))  # type: ignore[attr-defined]
        elif resolve is not None:
            todo.extend(resolve(spec)[1])
        else:
            raise VendorError(f"{name}: neither Pyodide's lock nor mirage_nb.gallery.wheels.EXTRA pins a version")
    return sorted(seen)


def _cached(cache: Path, name: str, version: str | None) -> Path | None:
    stem = re.sub(r"[-_.]+", "_", name).lower()
    hits = sorted(
        p for p in cache.glob("*.whl") if p.name.lower().startswith(f"{stem}-{version}-" if version else f"{stem}-")
    )
    return hits[-1] if hits else None


def _pip_download(spec: str, dest: Path) -> None:
    _pip(
        [
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            PYODIDE_PYTHON,
            "--implementation",
            "py",
            "--abi",
            "none",
            "--platform",
            "any",
            "--quiet",
            "-d",
            str(dest),
            spec,
        ],
        f"pip download {spec}",
    )


def fetch_wheel(name: str, version: str, cache: Path | None = None) -> Path:
    """The pure-Python wheel ``name==version`` from PyPI (``pip download``), cached in ``~/.cache/mirage-nb/wheels``."""
    cache = cache or default_wheel_cache()
    hit = _cached(cache, name, version)
    if hit is not None:
        return hit
    cache.mkdir(parents=True, exist_ok=True)
    _pip_download(f"{name}=={version}", cache)
    hit = _cached(cache, name, version)
    if hit is None:
        raise VendorError(f"pip download {name}=={version} gave no pure-Python wheel")
    return hit


def default_wheel_cache() -> Path:
    return default_cache().parent / "wheels"


_MARKER_ENV = {
    "python_version": "3.14",
    "python_full_version": "3.14.2",
    "sys_platform": "emscripten",
    "platform_system": "Emscripten",
    "platform_machine": "wasm32",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "extra": "",
}
"""Where a dependency's environment marker is evaluated: Pyodide's Python."""


def _requirements(wheel: Path) -> tuple[str, tuple[str, ...]]:
    """A wheel's version and the requirements it has under Pyodide (no extras), read from its METADATA."""
    from packaging.requirements import Requirement

    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
        text = z.read(meta).decode("utf-8")
    version = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Version:"))
    out = []
    for line in text.splitlines():
        if not line.startswith("Requires-Dist:"):
            continue
        req = Requirement(line.split(":", 1)[1].strip())
        if req.marker is None or req.marker.evaluate(dict(_MARKER_ENV)):
            out.append(str(req).split(";")[0].strip())
    return version, tuple(out)


def pypi_resolver(cache: Path | None = None) -> Resolver:
    """A :data:`Resolver` that downloads the newest pure-Python wheel matching a requirement (cached)."""
    cache = cache or default_wheel_cache()

    def resolve(spec: str) -> tuple[str, tuple[str, ...]]:
        with tempfile.TemporaryDirectory(prefix="mirage-nb-resolve-") as tmp:
            _pip_download(spec, Path(tmp))
            got = sorted(Path(tmp).glob("*.whl"))
            if len(got) != 1:
                raise VendorError(f"pip download {spec} gave {[p.name for p in got]}, expected one pure-Python wheel")
            cache.mkdir(parents=True, exist_ok=True)
            target = cache / got[0].name
            if not target.is_file():
                shutil.copyfile(got[0], target)
        resolved[_name_of(spec)] = target
        return _requirements(target)

    resolved: dict[str, Path] = {}
    resolve.resolved = resolved  # type: ignore[attr-defined]
    return resolve


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _top_level(path: Path) -> tuple[str, ...]:
    """The import names a wheel provides (its top-level packages and modules)."""
    names = set()
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            head = n.split("/", 1)[0]
            if head.endswith((".dist-info", ".data")):
                continue
            names.add(head[:-3] if head.endswith(".py") and "/" not in n else head)
    return tuple(sorted(names))


def vendor_wheels(
    dest: Path, lock: Mapping[str, object], roots: Iterable[str], cache: Path | None = None
) -> list[Wheel]:
    """This package's wheel (built now) and the wheels of ``roots``' closure (fetched), copied into ``dest``."""
    known = _lock_packages(lock)
    project = build_project_wheel(dest)
    # What the built wheel itself requires (its METADATA, under Pyodide's markers): exactly what micropip
    # and the kernel will ask the site's lock for, whatever metadata this environment has installed.
    project_version, project_specs = _requirements(project)
    project_depends = tuple(sorted({_name_of(s) for s in project_specs}))
    wheels = [Wheel(PROJECT, project_version, project, project_depends, ("mirage_nb",))]
    resolve = pypi_resolver(cache)
    resolved: dict[str, Path] = resolve.resolved  # type: ignore[attr-defined]
    for name in closure([*project_specs, *roots], lock, resolve):
        if name in EXTRA:
            version, deps, imports = EXTRA[name]
            src = fetch_wheel(name, version, cache)
        elif name in known:
            entry = known[name]
            version = str(entry["version"])
            deps = tuple(str(d) for d in entry.get("depends", []))  # type: ignore[attr-defined]
            imports = tuple(str(i) for i in entry.get("imports", []))  # type: ignore[attr-defined]
            src = fetch_wheel(name, version, cache)
        else:  # neither Pyodide nor EXTRA knows it: the newest wheel PyPI has for the requirement
            src = resolved[name]
            version, deps = _requirements(src)
            imports = ()
        target = dest / src.name
        shutil.copyfile(src, target)
        depends = tuple(sorted({_name_of(d) for d in deps}))
        wheels.append(Wheel(name, version, target, depends, imports or _top_level(src)))
    return sorted(wheels, key=lambda w: w.name)


def write_lock(path: Path, lock: Mapping[str, object], wheels: Iterable[Wheel]) -> None:
    """A ``pyodide-lock.json`` of Pyodide's ``info`` and exactly ``wheels`` (file names and SHA-256 of these files)."""
    packages: dict[str, object] = {}
    for w in wheels:
        packages[w.name] = {
            "depends": list(w.depends),
            "file_name": w.path.name,
            "imports": list(w.imports),
            "install_dir": "site",
            "name": w.name,
            "package_type": "package",
            "sha256": _sha256(w.path),
            "unvendored_tests": False,
            "version": w.version,
        }
    path.write_text(json.dumps({"info": lock.get("info", {}), "packages": packages}, indent=1, sort_keys=True) + "\n")
