"""Help pages and command-line errors of ``mirage-nb``, byte for byte against the real tool.

The pages are the cram tests of mirage (``mirage__help``) and of functoria's
e2e tool ``test`` (``functoria__e2e``); the error texts come from those
tests and from a recorded stderr of the real ``mirage`` 4.11.1. The parser's
messages are checked one by one against cmdliner 2's wording.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.cli import main
from mirage_nb.functoria import help as H
from mirage_nb.functoria import keys as K
from mirage_nb.functoria.cmdline import CmdlineError, Opt, err_pos_excess, find_command, parse, render_error
from mirage_nb.functoria.tool import COMMON, VERB_OPTS, key_opts

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
TESTS = SHARED / "reference" / "mirage-tests"
HELP = TESTS / "mirage__help"
E2E = TESTS / "functoria__e2e"
REAL = SHARED / "reference" / "mirage-4.11.1"

needs_shared = pytest.mark.skipif(not TESTS.is_dir(), reason="../shared/reference (the real tool's outputs) is absent")


def run(argv: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIRAGE_DEFAULT_TARGET", "unix")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.delenv("CMDLINER_LEGACY_PREFIXES", raising=False)


@pytest.fixture
def help_dir(tmp_path: Path) -> Path:
    shutil.copy(HELP / "_inputs" / "config.ml", tmp_path / "config.ml")
    return tmp_path


# -- the mirage__help cram tests ------------------------------------------------------------------


def _help_cases() -> list[tuple[str, Path]]:
    if not HELP.is_dir():
        return []
    out = []
    for d in sorted(p for p in HELP.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for cmd in sorted(d.glob("*.cmd")):
            text = cmd.read_text().strip()
            if text.startswith("./config.exe"):
                out.append((f"{d.name}/{cmd.stem}", cmd))
    return out


@needs_shared
@pytest.mark.parametrize(("name", "cmd"), _help_cases(), ids=[n for n, _ in _help_cases()])
def test_help_pages_match_mirage(name: str, cmd: Path, help_dir: Path, plain_env, monkeypatch) -> None:
    text = cmd.read_text().strip()
    argv = re.sub(r"\s*\|\s*tee\s+\S+$", "", text).split()[1:]
    status, out, err = run(argv, help_dir, monkeypatch)
    assert (status, err) == (0, "")
    assert out == cmd.with_suffix(".out").read_text()


@needs_shared
@pytest.mark.parametrize("verb", ["clean", "configure", "describe", "query", "help"])
@pytest.mark.parametrize("extra", [[], ["-o", "foo"], ["-t", "hvt"], ["--color=never", "-v"]])
def test_help_verb_equals_verb_help(verb: str, extra: list[str], help_dir: Path, plain_env, monkeypatch) -> None:
    """``mirage help X`` and ``mirage X --help=plain`` print the same page (the cram tests' diff d1 d2)."""
    a = run(["help", verb, *extra, "--man-format=plain"], help_dir, monkeypatch)
    b = run([verb, *extra, "--help=plain"], help_dir, monkeypatch)
    assert a == b
    assert a[1].startswith(f"NAME\n       mirage-{verb} - ")


@needs_shared
def test_help_without_config_documents_the_target(tmp_path: Path, plain_env, monkeypatch) -> None:
    """No config.ml: the pages document the keys of ``mirage`` itself (the target), as the real tool does."""
    status, out, _ = run(["configure", "--help=plain"], tmp_path, monkeypatch)
    assert status == 0
    assert out == (HELP / "configure").glob("03*.out").__next__().read_text()


def test_help_documents_the_application_keys(tmp_path: Path, plain_env, monkeypatch) -> None:
    (tmp_path / "config.py").write_text(
        "from mirage_nb.mirage import *\n"
        "stack = generic_stackv4v6(default_network)\n"
        'main = main("Unikernel.Main", stackv4v6 @ job)\n'
        'register("net", [main(stack)])\n'
    )
    status, out, _ = run(["describe", "--help=plain"], tmp_path, monkeypatch)
    assert status == 0
    section = out[out.index("UNIKERNEL PARAMETERS") : out.index("COMMON OPTIONS")]
    assert "       --net=NET\n           Use one of host, socket, direct or ocaml group for the unikernel." in section
    assert "       --no-dhcp\n           Disable dhcp for the unikernel." in section
    # What the help documents, the parser accepts, and the other way round.
    for opt in ["--net", "--no-dhcp", "--utcp", "--target", "--eval", "--dot-command", "--context-file"]:
        assert opt in out
    status, _, err = run(["describe", "--no-dhcp", "--net=host"], tmp_path, monkeypatch)
    assert (status, err) == (0, "")


def test_main_page_help_topics_and_version(tmp_path: Path, plain_env, monkeypatch) -> None:
    status, bare, _ = run([], tmp_path, monkeypatch)
    assert status == 0 and bare.startswith("NAME\n       mirage - The mirage application builder\n")
    assert "COMMANDS\n       clean [OPTION]…\n" in bare
    assert run(["--help"], tmp_path, monkeypatch)[1] == bare
    assert run(["help"], tmp_path, monkeypatch)[1] == bare
    assert run(["help", "topics"], tmp_path, monkeypatch) == (0, "help\nclean\nquery\ndescribe\nconfigure\n", "")
    assert run(["--version"], tmp_path, monkeypatch) == (0, "4.11.1\n", "")
    assert run(["configure", "--version"], tmp_path, monkeypatch) == (0, "4.11.1\n", "")


def test_run_verb_has_a_page(tmp_path: Path, plain_env, monkeypatch) -> None:
    status, out, _ = run(["help", "run"], tmp_path, monkeypatch)
    assert status == 0
    assert "RUN OPTIONS\n       --opam-repository=COMMIT\n" in out
    assert "\n       --seed=SEED\n" in out
    assert run(["run", "--help=plain"], tmp_path, monkeypatch)[1] == out


# -- the functoria e2e tool ``test`` ---------------------------------------------------------------


def _e2e_keys() -> list[K.Key]:
    docs = "APPLICATION OPTIONS"
    vote = K.create("vote", K.Arg.opt(K.STRING, "cat", K.ArgInfo(("vote",), docv="VOTE", doc="Vote.", docs=docs)))
    doc = "Enable -warn-error when compiling OCaml sources."
    warn = K.create("warn_error", K.Arg.opt(K.BOOL, False, K.ArgInfo(("warn-error",), docv="BOOL", doc=doc, docs=docs)))
    return [vote, warn]


def _out(d: Path, prefix: str) -> str:
    return next(d.glob(f"{prefix}__*.out")).read_text()


@needs_shared
def test_e2e_help_verb_page() -> None:
    expected = _out(E2E / "help", "01")
    expected = expected[expected.index("NAME\n") :]  # after the -v log lines
    assert H.page("help", _e2e_keys(), mname="test") == expected


@needs_shared
def test_e2e_tool_page() -> None:
    assert H.page(None, _e2e_keys(), mname="test") == _out(E2E / "help", "02")


@needs_shared
def test_e2e_configure_synopsis() -> None:
    synopsis = _out(E2E / "configure", "15").strip()
    page = H.page("configure", _e2e_keys(), mname="test")
    assert page.split("SYNOPSIS\n")[1].splitlines()[0].strip() == synopsis


def _unquoted_error(lines: str) -> str:
    return "".join(line + "\n" for line in lines.splitlines() if "[WARNING]" not in line)


@needs_shared
def test_e2e_too_many_arguments() -> None:
    expected = _unquoted_error(_out(E2E / "configure", "16"))
    parsed = parse(["a", "b", "c", "--file=app/config.ml"], COMMON + VERB_OPTS["configure"] + key_opts(_e2e_keys()))
    err = CmdlineError(err_pos_excess(parsed.positionals))
    text = H.error_text(err, "configure", _e2e_keys(), mname="test", styled=False)
    assert text.replace("'", "") == expected


@needs_shared
def test_e2e_invalid_enum_value_and_usage_with_an_undocumented_key() -> None:
    expected = _unquoted_error(_out(E2E / "context", "09"))
    conv = K.Conv.enum([("y", "Y"), ("x", "X")])
    target = K.create("target", K.Arg.opt(conv, "X", K.ArgInfo(("t",), doc="Target.")))
    argv = ["-t", "nonexistent", "--context-file=context/z.context", "-f", "context/config.ml"]
    with pytest.raises(CmdlineError) as e:
        parse(argv, COMMON + VERB_OPTS["configure"] + key_opts([target]))
    text = H.error_text(e.value, "configure", [target], mname="test", styled=False)
    assert text.replace("'", "") == expected


@needs_shared
def test_unknown_option_error_matches_the_real_stderr(tmp_path: Path, monkeypatch) -> None:
    """Recorded from mirage 4.11.1 in a terminal: ANSI styles, no quotes, the hint."""
    src = REAL / "extra" / "stack_variants"
    shutil.copy(src / "config.ml", tmp_path / "config.ml")
    monkeypatch.setenv("MIRAGE_DEFAULT_TARGET", "unix")
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("NO_COLOR", raising=False)
    status, out, err = run(["describe", "-t", "xen", "--dhcp=true"], tmp_path, monkeypatch)
    assert (status, out) == (1, "")
    assert err == (src / "describe-t_xen_--dhcp_true.txt").read_text()


# -- command-line errors, one by one ---------------------------------------------------------------

CASES = [
    (
        ["foo"],
        "Usage: mirage [--help] [COMMAND] …\nmirage: unknown command 'foo'. Must be one of 'clean', 'configure',\n"
        "        'describe', 'help' or 'query'\n",
    ),
    (["conf"], None),  # no prefixes in cmdliner 2
    (
        ["confgure"],
        "Usage: mirage [--help] [COMMAND] …\nmirage: unknown command 'confgure'. Did you mean 'configure'?\n",
    ),
    (["--foo"], "Usage: mirage [--help] [COMMAND] …\nmirage: unknown option '--foo'\n"),
    (
        ["-v", "configure"],
        "Usage: mirage [--help] [COMMAND] …\nmirage: too many arguments, don't know what to do with 'configure'\n",
    ),
    (
        ["configure", "a", "b"],
        "Usage: mirage configure [--help] [OPTION]…\nmirage: too many arguments, don't know what to do with 'a', 'b'\n",
    ),
    (["configure", "-t"], "Usage: mirage configure [--help] [OPTION]…\nmirage: option '-t' needs an argument\n"),
    (
        ["configure", "-t", "--dry-run"],
        "Usage: mirage configure [--help] [OPTION]…\nmirage: option '-t' needs an argument\n",
    ),
    (
        ["configure", "--dry-run=yes"],
        "Usage: mirage configure [--help] [OPTION]…\n"
        "mirage: option '--dry-run' is a flag, it cannot take the argument 'yes'\n",
    ),
    (
        ["describe", "-t", "hvt", "-t", "xen"],
        "Usage: mirage describe [--help] [OPTION]…\nmirage: option '-t' cannot be repeated\n",
    ),
    (
        ["describe", "-t", "hvt", "--target=xen"],
        "Usage: mirage describe [--help] [OPTION]…\n"
        "mirage: options '-t' and '--target' cannot be present at the same time\n",
    ),
    (
        ["describe", "--no-eval", "--eval"],
        "Usage: mirage describe [--help] [OPTION]…\n"
        "mirage: options '--eval' and '--no-eval' cannot be present at the same time\n",
    ),
    (
        ["configure", "-t", "foo"],
        "Usage: mirage configure [--help] [OPTION]…\n"
        "mirage: option '-t': invalid value 'foo', expected one of 'unix', 'macosx',\n"
        "        'xen', 'virtio', 'hvt', 'muen', 'qubes', 'genode', 'spt',\n"
        "        'unikraft-firecracker' or 'unikraft-qemu'\n",
    ),
    (
        ["query", "foo"],
        "Usage: mirage query [--help] [OPTION]… [INFO]\n"
        "mirage: INFO argument: invalid value 'foo', expected one of 'name',\n"
        "        'packages', 'opam', 'files', 'Makefile', 'dune.config', 'dune.build',\n"
        "        'dune-project', 'dune-workspace' or 'dune.dist'\n",
    ),
    (
        ["describe", "--color=blue"],
        "Usage: mirage describe [--help] [OPTION]…\n"
        "mirage: option '--color': invalid value 'blue', expected one of 'auto',\n"
        "        'always' or 'never'\n",
    ),
    (
        ["help", "foo"],
        "mirage: invalid value 'foo', expected one of 'configure', 'describe',\n"
        "        'query', 'clean', 'help' or 'topics'\n",
    ),
    (
        ["help", "--bogus"],
        "Usage: mirage help [--help] [--man-format=FMT] [OPTION]… [TOPIC]\nmirage: unknown option '--bogus'\n",
    ),
]


@needs_shared
@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_cli_errors(argv: list[str], expected: str | None, help_dir: Path, plain_env, monkeypatch) -> None:
    status, out, err = run(argv, help_dir, monkeypatch)
    assert status == 1
    if expected is None:
        assert "unknown command" in err
    else:
        assert err == expected


def test_help_wins_over_errors(tmp_path: Path, plain_env, monkeypatch) -> None:
    status, out, err = run(["configure", "--bogus", "-o", "--help"], tmp_path, monkeypatch)
    assert (status, err) == (0, "")
    assert out.startswith("NAME\n       mirage-configure")


OPTS = [
    Opt(("t", "target"), "target"),
    Opt(("o", "output"), "output"),
    Opt(("q", "quiet"), "quiet", "flag"),
    Opt(("v", "verbose"), "verbose", "flag", repeat=True),
    Opt(("depext",), "depext", "flag", flag_value=True),
    Opt(("no-depext",), "depext", "flag", flag_value=False),
    Opt(("dot",), "dot", "flag"),
    Opt(("dot-command",), "dot_command"),
    Opt(("help",), "help", "optional", vopt="auto"),
]


def perr(argv: list[str], env: dict[str, str] | None = None) -> str:
    with pytest.raises(CmdlineError) as e:
        parse(argv, OPTS, env=env or {})
    return e.value.msg


def test_parser_spellings() -> None:
    p = parse(["-thvt", "--output=x", "-qv", "-v", "--", "-t"], OPTS, env={})
    assert p.get("target") == "hvt" and p.get("output") == "x"
    assert p.all("verbose") == [True, True] and p.get("quiet") is True
    assert p.positionals == ["-t"]
    p = parse(["--help", "plain", "-o", "-"], OPTS, env={})
    assert p.get("help") == "plain" and p.get("output") == "-"
    assert parse(["--help"], OPTS, env={}).get("help") == "auto"


def test_parser_messages() -> None:
    assert perr(["--tar", "x"]) == "unknown option '--tar'. Did you mean '-t'?"
    assert perr(["--zzzzz"]) == "unknown option '--zzzzz'"
    assert perr(["--dott"]) == "unknown option '--dott'. Did you mean '--dot'?"
    assert perr(["--a", "--xxxxx"]) == (
        "unknown option '--a'. Did you mean one of '-v', '-t', '-q' or '-o'?\nunknown option '--xxxxx'"
    )
    assert perr(["-q", "--quiet"]) == "options '--quiet' and '-q' cannot be present at the same time"
    assert perr(["--depext", "--depext"]) == "option '--depext' cannot be repeated"
    assert (
        perr(["--no-depext", "--depext"]) == "options '--depext' and '--no-depext' cannot be present at the same time"
    )
    assert perr(["-o"]) == "option '-o' needs an argument"
    assert perr(["--dot=1"]) == "option '--dot' is a flag, it cannot take the argument '1'"


def test_legacy_prefixes() -> None:
    env = {"CMDLINER_LEGACY_PREFIXES": "true"}
    assert parse(["--tar", "x"], OPTS, env=env).get("target") == "x"
    assert perr(["--d"], env) == "option '--d' ambiguous and could be one of '--depext', '--dot' or '--dot-command'"
    assert find_command("conf", ["configure", "clean"], env=env) == "configure"
    with pytest.raises(CmdlineError) as e:
        find_command("c", ["configure", "clean"], env=env)
    assert e.value.msg == "command 'c' ambiguous and could be either 'clean' or 'configure'"


def test_render_error_wraps_at_78_columns() -> None:
    text = render_error("mirage", "unknown command 'x'. Must be " + "one of 'aaaaaaaaaa', " * 6 + "or 'b'")
    lines = text.splitlines()
    assert all(len(line) <= 78 for line in lines)
    assert all(line.startswith(" " * 8) for line in lines[1:])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="-=abtoqv, xé", max_size=8), max_size=8))
def test_parser_raises_only_cmdline_errors(argv: list[str]) -> None:
    try:
        parse(argv, OPTS, env={})
    except CmdlineError as e:
        assert e.msg and "\n\n" not in e.msg
    parse(argv, OPTS, peek=True, env={})


# -- help agrees with parsing -----------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["configure", "describe", "query", "clean", "help", "run"])
def test_every_parsed_option_is_documented(verb: str, plain_env) -> None:
    page = H.page(verb, [])
    for opt in COMMON + H.verb_opts(verb):
        for n in opt.names:
            spelled = ("-" if len(n) == 1 else "--") + n
            assert re.search(rf"(^|[ ,]){re.escape(spelled)}([ =,\[\n]|$)", page, re.M), spelled


words = st.text(alphabet="abcdefghij", min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(words, st.sampled_from(["opt", "flag"]), st.lists(words, max_size=30)), max_size=5),
)
def test_key_pages_render_every_key(specs: list[tuple[str, str, list[str]]]) -> None:
    keys = []
    for name, kind, doc in specs:
        info = K.ArgInfo((f"k-{name}",), doc=" ".join(doc), docs="UNIKERNEL PARAMETERS")
        arg = K.Arg.flag(info) if kind == "flag" else K.Arg.opt(K.STRING, "d", info)
        keys.append(K.create(f"k-{name}", arg))
    page = H.page("configure", keys)
    for k in keys:
        assert f"       --{k.name}" in page
    for line in page.splitlines():
        # Format only overflows the margin with a word longer than the room left.
        if len(line.encode()) > 78:
            assert " " not in line.strip()


def test_groff_page(tmp_path: Path, plain_env, monkeypatch) -> None:
    status, out, _ = run(["configure", "--help=groff"], tmp_path, monkeypatch)
    assert status == 0
    assert '.TH "MIRAGE-CONFIGURE" 1 "" "Mirage 4.11.1" "Mirage Manual"\n' in out
    assert "\n.SH MIRAGE PARAMETERS\n.TP 4\n\\fB\\-t\\fR \\fITARGET\\fR, \\fB\\-\\-target\\fR=\\fITARGET\\fR" in out
    assert out.endswith("\n.SH SEE ALSO\n.P\nmirage(1)")
    assert run(["help", "configure", "--man-format=groff"], tmp_path, monkeypatch)[1] == out
    # A bad format still shows the help, as cmdliner does.
    assert run(["configure", "--help=bogus"], tmp_path, monkeypatch)[1].startswith("NAME\n")


NO_CONFIG = [
    (["foo"], "unknown command 'foo'"),
    (["--foo"], "unknown option '--foo'"),
    (["describe", "--foo"], "unknown option '--foo'. Did you mean either '-f' or '--dot'?"),
    (["query", "-t", "foo"], "option '-t': invalid value 'foo'"),
    (["help", "foo"], "invalid value 'foo'"),
]


@pytest.mark.parametrize(("argv", "msg"), NO_CONFIG, ids=[" ".join(a) for a, _ in NO_CONFIG])
def test_errors_without_a_config_file(argv: list[str], msg: str, tmp_path: Path, plain_env, monkeypatch) -> None:
    """functoria parses against the tool's keys, prints cmdliner's error, then says the file is missing."""
    status, out, err = run(argv, tmp_path, monkeypatch)
    assert (status, out) == (1, "")
    assert msg in err.replace("\n        ", " ")
    assert err.endswith("\nconfiguration file config.ml missing\n")


def test_missing_config_alone(tmp_path: Path, plain_env, monkeypatch) -> None:
    assert run(["describe", "-t", "hvt"], tmp_path, monkeypatch) == (1, "", "configuration file config.ml missing\n")
    assert run(["configure", "--foo"], tmp_path, monkeypatch) == (1, "", "configuration file config.ml missing\n")
    assert run(["clean", "--foo"], tmp_path, monkeypatch) == (0, "", "")


STACK_CONFIG = (
    "from mirage_nb.mirage import *\n"
    "stack = generic_stackv4v6(default_network)\n"
    'main = main("Unikernel.Main", stackv4v6 @ job)\n'
    'register("net", [main(stack)])\n'
)


def test_env_value_errors(tmp_path: Path, plain_env, monkeypatch) -> None:
    (tmp_path / "config.py").write_text(STACK_CONFIG)
    monkeypatch.setenv("MODE", "foo")
    status, out, err = run(["describe"], tmp_path, monkeypatch)
    assert (status, out) == (1, "")
    assert err.startswith(
        "Usage: mirage describe [--help] [OPTION]…\n"
        "mirage: environment variable 'MODE': invalid value 'foo', expected one of\n"
        "        'unix', 'macosx',"
    )
    # --help still wins, as with cmdliner.
    status, out, _ = run(["describe", "--help"], tmp_path, monkeypatch)
    assert status == 0 and out.startswith("NAME\n       mirage-describe")


@pytest.mark.parametrize("verb", ["describe", "configure", "query"])
@pytest.mark.parametrize("extra", [[], ["--eval"], ["-t", "hvt", "--no-dhcp"]])
def test_help_topic_uses_the_topic_keys(verb: str, extra: list[str], tmp_path: Path, plain_env, monkeypatch) -> None:
    (tmp_path / "config.py").write_text(STACK_CONFIG)
    a = run(["help", verb, *extra], tmp_path, monkeypatch)
    b = run([verb, *extra, "--help"], tmp_path, monkeypatch)
    assert a == b and a[0] == 0
    assert "--no-dhcp" in a[1]


def test_styled_messages_keep_apostrophes() -> None:
    err = CmdlineError(err_pos_excess(["a", "b"]))
    text = H.error_text(err, "configure", [], styled=True)
    assert text.endswith(
        "mirage: \x1b[31mtoo many arguments\x1b[m, don't know what to do with \x1b[01ma\x1b[m, \x1b[01mb\x1b[m\n"
    )
    assert text.startswith("Usage: \x1b[01mmirage configure\x1b[m [\x1b[01m--help\x1b[m] [\x1b[04mOPTION\x1b[m]…\n")


def _sections(page: str) -> dict[str, str]:
    """A page cut at its section titles (the e2e tests' help.exe)."""
    out: dict[str, str] = {}
    name = "INIT"
    for line in page.split("\n"):
        if len(line) > 1 and all(c.isupper() or c.isspace() for c in line):
            name = line
            out[name] = ""
        else:
            out[name] = out.get(name, "") + line + "\n"
    return out


def test_e2e_help_configure_diff() -> None:
    """e2e configure.t: `test help configure --help` and `test configure --help` agree on these sections."""
    h1 = _sections(H.page("help", _e2e_keys(), mname="test"))
    h2 = _sections(H.page("configure", _e2e_keys(), mname="test"))
    for name in ["CONFIGURE OPTIONS", "APPLICATION OPTIONS", "COMMON OPTIONS"]:
        assert h1[name] == h2[name]
