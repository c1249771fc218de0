"""Code generation beyond the recorded reference runs: options, layouts, the context cache, the VFS.

Where the mirage test suite recorded an expectation (``shared/reference/
mirage-tests``: ``--no-depext``, ``--depext``, the opam ``url`` from git
remotes) the test reads it from there; elsewhere it checks what the real
tool's code does (``-o``, a config in a subdirectory, custom overlay
repositories, pins) and the invariants of generated main.ml.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mirage_nb.errors import ConfigError
from mirage_nb.functoria import codegen
from mirage_nb.functoria import keys as K
from mirage_nb.functoria.codegen._text import ascii_escape, ascii_unescape, compact_list, with_headers
from mirage_nb.functoria.vfs import VirtualFS

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
TESTS = SHARED / "reference" / "mirage-tests"
needs_shared = pytest.mark.skipif(not TESTS.exists(), reason=f"shared reference not found at {SHARED}")


def _app(name: str = "noop", *, config_file: str = "config.ml", src: object = "none", functor: bool = True):
    from mirage_nb.mirage import job, main, noop, register

    if functor:
        m = main("App", job @ job, pos=(config_file, 3, 0, 0))
        return register(name, [m(noop)], src=src, config_file=config_file)
    return register(name, [noop], src=src, config_file=config_file)


def _eval(app, target: str = "unix", output: str | None = None):
    from mirage_nb.mirage import Key

    return app.evaluate(K.Context({"target": Key.Mode(target)}), full=True, output=output)


def _configure(c, argv: list[str], **kw) -> VirtualFS:
    fs = VirtualFS()
    codegen.configure(c, fs, argv=argv, **kw)
    return fs


# -- the context cache --------------------------------------------------------------------


def test_context_file_escapes_like_astring() -> None:
    assert codegen.context_text(["configure", "-t", "hvt"]) == "configure\n-t\nhvt\n"
    assert ascii_escape("a\nb\\c\x7f\xff") == "a\\x0Ab\\\\c\\x7F\\xC3\\xBF"
    assert codegen.read_context("configure\n--file=app/config.ml\n") == ["configure", "--file=app/config.ml"]


@given(st.lists(st.text()))
def test_context_round_trips(argv: list[str]) -> None:
    text = codegen.context_text(argv)
    assert "\n".join(text.split("\n")[:-1]).count("\n") == max(len(argv) - 1, 0)
    assert codegen.read_context(text) == (argv if argv else [""])


@given(st.text())
def test_unescape_never_crashes(s: str) -> None:
    r = ascii_unescape(s)
    assert r is None or isinstance(r, str)


def test_context_file_option_moves_the_cache() -> None:
    fs = _configure(_eval(_app()), ["configure", "--context-file", "my.ctx"])
    assert fs.read("my.ctx") == "configure\n--context-file\nmy.ctx\n"
    assert "mirage/context" not in fs.files()
    assert '"mirage configure --context-file my.ctx --no-extra-repo"' in fs.read("mirage/noop-unix.opam")


def test_reconfigure_caches_only_the_typed_arguments() -> None:
    """A command line carrying the implied ``--context-file`` of a configured directory."""
    fs = _configure(_eval(_app()), ["configure", "-t", "unix", "--context-file", "./mirage/context"])
    assert fs.read("mirage/context") == "configure\n-t\nunix\n"
    assert '"mirage configure -t unix --context-file ./mirage/context --no-extra-repo"' in fs.read(
        "mirage/noop-unix.opam"
    )


def test_malformed_context_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="line 2"):
        codegen.read_context("configure\n\\q\n")


# -- the virtual file system ---------------------------------------------------------------


def test_vfs_records_and_applies(tmp_path: Path) -> None:
    fs = VirtualFS({"keep.txt": "old"})
    fs.write("a/b.txt", "x")
    fs.append("a/b.txt", "y")
    sub = fs.sub("a")
    sub.append("c.txt", "z")
    assert sub.read("b.txt") == "xy" and fs.exists("a/c.txt")
    fs.remove("keep.txt")
    assert fs.files() == {"a/b.txt": "xy", "a/c.txt": "z"}
    assert fs.removed() == ["keep.txt"]
    (tmp_path / "keep.txt").write_text("old")
    fs.apply(tmp_path)
    assert (tmp_path / "a" / "b.txt").read_text() == "xy"
    assert not (tmp_path / "keep.txt").exists()


def test_vfs_dry_run_shares_messages_not_files() -> None:
    fs = VirtualFS()
    dry = fs.dry()
    dry.write("x", "1")
    dry.message_once("k", "hello")
    dry.message_once("k", "hello")
    assert fs.files() == {} and fs.messages == ["hello"] and dry.created() == ["x"]


@pytest.mark.parametrize("bad", ["/etc/passwd", "../x", "a/../../x", ""])
def test_vfs_refuses_paths_outside(bad: str) -> None:
    with pytest.raises(ConfigError):
        VirtualFS().write(bad, "")


def test_user_files_without_header_are_kept() -> None:
    fs = VirtualFS({"Makefile": "all:\n\techo mine\n"})
    codegen.configure(_eval(_app()), fs, argv=["configure"])
    assert "Makefile" not in fs.files()
    assert fs.read("Makefile") == "all:\n\techo mine\n"


def test_from_disk_seeds_existing_files(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text("mine")
    fs = VirtualFS.from_disk(tmp_path, ["Makefile", "dune"])
    assert fs.read("Makefile") == "mine" and not fs.exists("dune")


# -- recorded expectations of the mirage test suite ------------------------------------------------


def _query_cases():
    if not TESTS.exists():
        return []
    out = []
    for cmd in sorted((TESTS / "mirage__query").glob("*/*.cmd")):
        args = shlex.split(cmd.read_text())
        if not args or not args[0].startswith("./config") or "--version" in args:
            continue
        out.append(pytest.param(cmd, id=f"{cmd.parent.name}/{cmd.stem}"))
    return out


def _query_app(exe: str):
    # A config compiled straight into an executable runs with the default
    # --file (config.ml), whatever its source was called.
    cfg = exe[len("./") : -len(".exe")] + ".ml"
    if cfg == "config_noop.ml":
        return _app(functor=False)
    if cfg == "config_dash_in_name.ml":
        return _app("noop-functor.v0")
    return _app()


@needs_shared
@pytest.mark.parametrize("cmd", _query_cases())
def test_mirage_query_suite(cmd: Path) -> None:
    """The mirage repository's own ``query`` expectations (config.exe runs, no cached context)."""
    args = shlex.split(cmd.read_text())
    exe, rest = args[0], args[1:]
    target = "unix"
    for flag in ("-t", "--target"):
        if flag in rest:
            target = rest[rest.index(flag) + 1]
    kind = next((a for a in rest[1:] if not a.startswith("-") and a != target), "packages")
    depext = [a for a in rest if a in ("--depext", "--no-depext")]
    c = _eval(_query_app(exe), target)
    got = codegen.query(c, kind, argv=rest, depext=not depext or depext[-1] == "--depext")
    assert got == cmd.with_suffix(".out").read_text()


@needs_shared
@pytest.mark.parametrize(
    "remote", ["https://github.com/notifications/invalid-repo.git", "git@github.com:notifications/invalid-repo.git"]
)
def test_opam_url_from_git_remote(tmp_path: Path, remote: str) -> None:
    """``register`` without ``~src`` reads the enclosing repository (mirage__random/run-opam-git)."""
    git = tmp_path / ".git"
    git.mkdir()
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "config").write_text(f'[core]\n\tbare = false\n[remote "origin"]\n\turl = {remote}\n')
    from mirage_nb.mirage import job, main, noop, register

    app = register("random", [main("App.Make", job @ job)(noop)])
    fs = _configure(_eval(app), ["configure", "-t", "unix"], directory=tmp_path)
    urls = [line for line in fs.read("mirage/random-unix.opam").splitlines() if line.startswith("url")]
    want = (TESTS / "mirage__random" / "run-opam-git" / "11__cat_mirage_random-unix.opam_grep_url.out").read_text()
    assert "\n".join(urls) + "\n" == want


def _repo(root: Path, branch: str, url: str) -> None:
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text(f"ref: refs/heads/{branch}\n")
    (root / ".git" / "config").write_text(f'[remote "origin"]\n  url = {url}\n')


def test_git_subdirectory_and_ssh_scheme(tmp_path: Path) -> None:
    _repo(tmp_path, "dev", "ssh://git@example.org:2222/x/y.git")
    (tmp_path / "app").mkdir()
    from mirage_nb.mirage import job, main, noop, register

    app = register("u", [main("App", job @ job)(noop)], config_file="app/config.ml")
    fs = _configure(_eval(app), ["configure", "-f", "app/config.ml"], directory=tmp_path)
    text = fs.read("app/mirage/u-unix.opam")
    assert 'build: [make "-Capp/" "build"]' in text
    assert '[ "cp" "app/dist/u" "%{bin}%/u" ]' in text
    assert 'x-mirage-opam-lock-location: "app/mirage/u-unix.opam.locked"' in text
    assert '"sh" "-exc" "cd app/ && mirage configure -f app/config.ml --context-file app/mirage/context' in text
    assert text.endswith('url { src: "ssh://example.org:2222/x/y.git#dev" }')
    assert codegen.public_url("file:///srv/x.git") == "git+https://invalid/endpoint"


def test_query_looks_for_git_one_level_up(tmp_path: Path) -> None:
    """A query runs where functoria expects the mirage/ directory: it searches from the parent."""
    from mirage_nb.mirage import job, main, noop, register

    app = register("u", [main("App", job @ job)(noop)])
    _repo(tmp_path / "repo", "main", "https://h.example/r.git")
    c = _eval(app)
    assert "url {" not in codegen.query(c, "opam", argv=["query", "opam"], directory=tmp_path / "repo")
    (tmp_path / "repo" / "proj").mkdir()
    text = codegen.query(c, "opam", argv=["query", "opam"], directory=tmp_path / "repo" / "proj")
    assert text.endswith('url { src: "git+https://h.example/r.git#main" }\n')
    fs = _configure(c, ["configure"], directory=tmp_path / "repo")
    assert fs.read("mirage/u-unix.opam").endswith('url { src: "git+https://h.example/r.git#main" }')


# -- options and layouts -----------------------------------------------------------------------


def test_no_depext_no_extra_repo() -> None:
    c = _eval(_app())
    mk = codegen.query(c, "Makefile", argv=["query", "Makefile"], depext=False, extra_repos=[])
    assert ".PHONY: all lock install-switch pull clean depend depends build\n\n$(MIRAGE_DIR)" in mk
    assert "repo-add" not in mk and "depext" not in mk.replace("--no-depexts", "")
    opam = codegen.query(c, "opam", argv=["query", "opam", "--no-extra-repo"], extra_repos=[])
    assert "x-mirage-extra-repo: []\n" in opam


def test_two_extra_repos() -> None:
    repos = [("a", "https://a.example/r.git"), ("b", "https://b.example/r.git")]
    c = _eval(_app())
    mk = codegen.query(c, "Makefile", argv=[], extra_repos=repos)
    assert "using overlay repository mirage: [a, b] " in mk
    assert "\t$(OPAM) repo remove b https://b.example/r.git\n" in mk
    opam = codegen.query(c, "opam", argv=[], extra_repos=repos)
    # Format breaks before the first bracket box only: raw newlines never
    # reset its column, so the box opens beyond the maximum indentation.
    assert 'x-mirage-extra-repo: [\n["a" "https://a.example/r.git"]\n["b" "https://b.example/r.git"]]' in opam


def test_output_option_renames_everything() -> None:
    c = _eval(_app(), "hvt", output="foo")
    fs = _configure(c, ["configure", "-t", "hvt", "-o", "foo"])
    files = fs.files()
    assert {"mirage/foo.ml", "mirage/foo.opam", "Makefile"} <= set(files)
    assert "mirage/main.ml" not in files
    assert '# 23 "mirage/foo.ml"' in files["mirage/foo.ml"] or '"mirage/foo.ml"' in files["mirage/foo.ml"]
    assert "(copy_files# ./mirage/foo.ml)" in files["dune.build"]
    assert "(target foo.hvt)" in files["dune.build"] and "(name foo)" in files["dune.build"]
    assert "UNIKERNEL_NAME = foo\n" in files["Makefile"]
    assert "(name foo)" in files["dune-project"]
    assert codegen.query(c, "files", argv=[]).endswith("foo.ml manifest.json manifest.ml\n")


def test_config_in_a_subdirectory() -> None:
    app = _app(config_file="app/config.ml")
    fs = _configure(_eval(app), ["configure", "-f", "app/config.ml"])
    files = fs.files()
    assert set(files) == {
        "Makefile",
        "dune-project",
        "dune-workspace",
        "app/dune",
        "app/dune.build",
        "app/dune.config",
        "app/dist/dune",
        "app/mirage/context",
        "app/mirage/dune-workspace.config",
        "app/mirage/main.ml",
        "app/mirage/noop-unix.opam",
    }
    assert "BUILD_DIR = app/\nMIRAGE_DIR = app/mirage\n" in files["Makefile"]
    assert '"app/mirage/main.ml"' in files["app/mirage/main.ml"]
    assert "--context-file app/mirage/context --no-extra-repo" in files["app/mirage/noop-unix.opam"]
    assert files["app/mirage/context"] == "configure\n-f\napp/config.ml\n"
    assert codegen.clean_paths(_eval(app))[:2] == ["app/mirage/", "app/dist/"]


def test_config_with_another_name_is_copied() -> None:
    c = _eval(_app(config_file="my-config.ml"))
    text = codegen.query(c, "dune.config", argv=[])
    assert "(rule (copy# my-config.ml config.ml))" in text
    assert "(modules (:standard \\ my-config))" in codegen.query(c, "dune.build", argv=[])


def test_pins_and_explicit_src() -> None:
    from mirage_nb.mirage import job, main, noop, package, register

    pk = [package("foo", pin="u1"), package("bar", pin="git+https://x.example/bar.git")]
    app = register("p", [main("App", job @ job, packages=pk)(noop)], src=("some", "git+https://e.example/u.git#x"))
    opam = codegen.query(_eval(app), "opam", argv=[])
    # A hv box that fits stays on one line; the break before "]" is the last
    # one before a flush, which Format always turns into a newline.
    assert opam.endswith(
        'url { src: "git+https://e.example/u.git#x" }\npin-depends: [ ["foo.dev" "u1"] ["bar.dev" "git+https://x.example/bar.git"]\n]\n\n'
    )
    long = [package(f"p{i}", pin=f"git+https://x.example/p{i}.git") for i in range(2)]
    app = register("p", [main("App", job @ job, packages=long)(noop)], src="none")
    opam = codegen.query(_eval(app), "opam", argv=[])
    assert opam.endswith(
        'pin-depends: [ ["p1.dev" "git+https://x.example/p1.git"]\n'
        '               ["p0.dev" "git+https://x.example/p0.git"]\n]\n\n'
    )


def test_unknown_query_kind() -> None:
    with pytest.raises(ConfigError, match="unknown kind"):
        codegen.query(_eval(_app()), "nope", argv=[])


# -- main.ml ----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["unix", "hvt", "xen", "virtio", "unikraft-qemu"])
def test_line_directives_name_the_next_line(target: str) -> None:
    """Every ``# N "mirage/main.ml"`` is on line N-1: the arithmetic never drifts."""
    from mirage_nb.mirage import default_network, generic_stackv4v6, job, main, register, stackv4v6

    app = register("s", [main("App", stackv4v6 @ job, pos=("config.ml", 4, 0, 0))(generic_stackv4v6(default_network))])
    fs = _configure(_eval(app, target), ["configure", "-t", target])
    lines = fs.read("mirage/main.ml").split("\n")
    seen = 0
    for i, line in enumerate(lines, 1):
        m = re.fullmatch(r'# (\d+) "mirage/main\.ml"', line)
        if m:
            seen += 1
            assert int(m[1]) == i + 1
    assert seen > 10


def test_runtime_args_text_is_blank_line_separated() -> None:
    from mirage_nb.functoria.runtime_arg import runtime_arg

    a = runtime_arg(("f.ml", 1, 0, 0), "A.x")
    b = runtime_arg(("f.ml", 2, 0, 0), "B.y")
    assert codegen.runtime_args_text([], "R") == "\n"
    assert codegen.runtime_args_text([a, b], "R") == (
        'let a_x__key = R.register_arg @@\n# 1 "f.ml"\n  A.x\n;;\n\n'
        'let b_y__key = R.register_arg @@\n# 2 "f.ml"\n  B.y\n;;\n\n'
    )


# -- small text forms ----------------------------------------------------------------------------


def test_compact_list_wraps_like_dune() -> None:
    words = [f"lib{i:02d}-long-name" for i in range(8)]
    text = compact_list("libraries", words)
    first, *rest = text.split("\n")
    assert len(first) + len(" (libraries ") <= 76 and all(r.startswith("   ") for r in rest)
    assert compact_list("flags", ["x" * 45, "y"]) == "\n  " + "x" * 45 + " y"


def test_headers() -> None:
    assert with_headers("dune-project", "(lang dune 2.9)\n", "mirage", "4.11.1") == (
        "(lang dune 2.9)\n\n;; Generated by mirage.4.11.1\n"
    )
    assert with_headers("x/y.opam", "a", "t", "1").startswith("# Generated by t.1\n\n")
    with pytest.raises(ConfigError):
        with_headers("README", "a", "t", "1")


def test_skeleton_before_every_verb() -> None:
    fs = VirtualFS()
    codegen.skeleton(fs, config_file="config_noop.ml", project_name="mirage", version="4.11.1")
    assert set(fs.files()) == {"mirage/dune-workspace.config", "dune-project", "dune.config", "dune"}
    assert fs.read("dune").endswith("(include dune.config)")
    assert "(rule (copy# config_noop.ml config.ml))" in fs.read("dune.config")
