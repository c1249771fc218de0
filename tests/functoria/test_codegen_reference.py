"""``configure`` and ``query`` against the real mirage 4.11.1, byte for byte, through the codegen API.

For every reference config whose devices exist in ``mirage_nb.mirage``, the
application is built in Python (below, or the lead's twin under
``tests/configs/``), evaluated for the command's target and handed to
:func:`mirage_nb.functoria.codegen.configure` / ``query``. Every file the real
tool wrote and every line it printed must come out identical. The cases are
read from the reference's own ``exit-codes*.txt`` (via
``shared/tools/refcheck.py``), so no expected output is written here.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mirage_nb.functoria import codegen
from mirage_nb.functoria import keys as K
from mirage_nb.functoria.vfs import VirtualFS

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
ROOT = SHARED / "reference" / "mirage-4.11.1"
REFCHECK = SHARED / "tools" / "refcheck.py"
TWINS = Path(__file__).resolve().parents[1] / "configs"

pytestmark = pytest.mark.skipif(not REFCHECK.exists(), reason=f"shared reference not found at {SHARED}")


def _pos(cfg: str, line: int) -> tuple[str, int, int, int]:
    return (cfg, line, 0, 0)


# -- Python builds of the reference configs (each line cites its config.ml line) ---------


def _random(cfg: str):
    from mirage_nb.mirage import job, main, noop, register

    m = main("App.Make", job @ job, pos=_pos(cfg, 3))
    return register("random", [m(noop)], config_file=cfg)


def _query(name: str, line: int = 3) -> Callable[[str], object]:
    def build(cfg: str):
        from mirage_nb.mirage import job, main, noop, register

        m = main("App", job @ job, pos=_pos(cfg, line))
        return register(name, [m(noop)], src="none", config_file=cfg)

    return build


def _config_noop(cfg: str):
    from mirage_nb.mirage import noop, register

    return register("noop", [noop], src="none", config_file=cfg)


def _help(cfg: str):
    from mirage_nb.mirage import job, main, noop, register

    m = main("App", job @ job, pos=_pos(cfg, 3))
    return register("noop", [m(noop)], config_file=cfg)


def _job_no_device(cfg: str):
    from mirage_nb.mirage import job, main, register

    return register("noop", [main("App", job, pos=_pos(cfg, 3))], src="none", config_file=cfg)


def _job_no_device_arg(cfg: str):
    from mirage_nb.mirage import job, main, register, runtime_arg

    args = [runtime_arg(_pos(cfg, 3), "Unikernel.hello")]
    m = main("App", job, runtime_args=args, pos=_pos(cfg, 4))
    return register("noop", [m], src="none", config_file=cfg)


def _job_no_device_behind_if(cfg: str):
    from mirage_nb.mirage import Key, if_impl, job, main, register

    m = main("App", job, pos=_pos(cfg, 3))
    return register("noop", [if_impl(Key.is_solo5, m, m)], src="none", config_file=cfg)


def _stack(cfg: str):
    from mirage_nb.mirage import default_network, generic_stackv4v6, job, main, register, stackv4v6

    device = generic_stackv4v6(default_network)
    m = main("App", stackv4v6 @ job, pos=_pos(cfg, 4))
    return register("describe", [m(device)], src="none", config_file=cfg)


def _warn_etif(cfg: str):
    from mirage_nb.mirage import default_network, ethernet, etif, job, main, register

    eth = etif(default_network)
    m = main("App.Make", ethernet @ job, pos=_pos(cfg, 12))
    return register("etif", [m(eth)], config_file=cfg)


def _unikernel(name: str, **kw) -> Callable[[str], object]:
    def build(cfg: str):
        from mirage_nb.mirage import job, main, package, register

        pk = [package(p) for p in kw.get("packages", [])]
        m = main("Unikernel", job, packages=pk or None, local_libs=kw.get("local_libs", ()))
        return register(name, [m], config_file=cfg)

    return build


def _skeleton_noop(cfg: str):
    from mirage_nb.mirage import register

    return register("noop", [], config_file=cfg)


def _noop_app(cfg: str):
    from mirage_nb.mirage import job, main, noop, register

    m = main("Unikernel.Hello", job @ job, pos=_pos(cfg, 3))
    return register("hello", [m(noop)], src="none", config_file=cfg)


def _if_app(cfg: str):
    from mirage_nb.mirage import Key, if_impl, job, main, noop, register

    f1 = main("Unikernel.Unix_version", job @ job, pos=_pos(cfg, 3))
    f2 = main("Unikernel.Other_version", job @ job, pos=_pos(cfg, 4))
    return register("choice", [if_impl(Key.is_unix, f1, f2)(noop)], src="none", config_file=cfg)


def _static_web(cfg: str):
    from mirage_nb.mirage import (
        cohttp_server,
        conduit_direct,
        default_network,
        generic_kv_ro,
        generic_stackv4v6,
        http,
        job,
        kv_ro,
        main,
        register,
    )

    stack = generic_stackv4v6(default_network)
    data = generic_kv_ro("htdocs")
    server = cohttp_server(conduit_direct(stack, tls=False))
    m = main("Unikernel.Make", kv_ro @ http @ job, pos=_pos(cfg, 6))
    return register("www", [m(data, server)], src="none", config_file=cfg)


BUILDERS: dict[str, Callable[[str], object]] = {
    "mirage-test/random": _random,
    "mirage-test/query": _query("noop"),
    "mirage-test/query__config_noop": _config_noop,
    "mirage-test/query__config_dash_in_name": _query("noop-functor.v0"),
    "mirage-test/help": _help,
    "mirage-test/job-no-device": _job_no_device,
    "mirage-test/job-no-device-arg": _job_no_device_arg,
    "mirage-test/job-no-device-behind-if": _job_no_device_behind_if,
    "mirage-test/describe": _stack,
    "mirage-test/warn-etif": _warn_etif,
    "skeleton/tutorial/hello": _unikernel("hello", packages=["duration"]),
    "skeleton/tutorial/hello-key": _unikernel("hello-key", packages=["duration"]),
    "skeleton/tutorial/app_info": _unikernel("app-info", packages=["fmt", "dune-build-info"]),
    "skeleton/tutorial/local-library": _unikernel("local-library", local_libs=["hello"]),
    "skeleton/tutorial/noop": _skeleton_noop,
    "extra/noop_app": _noop_app,
    "extra/if_app": _if_app,
    "extra/stack": _stack,
    "extra/stack_variants": _stack,
    "extra/static_web": _static_web,
}


# -- cases ---------------------------------------------------------------------------------


def _refcheck():
    spec = importlib.util.spec_from_file_location("refcheck", REFCHECK)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("refcheck", mod)
    spec.loader.exec_module(mod)
    return mod


def _cases():
    if not REFCHECK.exists():
        return []
    rc = _refcheck()
    out = []
    for d in sorted({p.parent for p in ROOT.rglob("config.ml")}):
        for c in rc.cases_for(d):
            if c.kind in ("configure", "query"):
                out.append(pytest.param(c, id=f"{d.relative_to(ROOT)}/{c.name}"))
    return out


def _opt(args: list[str], *names: str) -> str | None:
    val = None
    for i, a in enumerate(args):
        for n in names:
            if a == n and i + 1 < len(args):
                val = args[i + 1]
            elif a.startswith(n + "=") and n.startswith("--"):
                val = a[len(n) + 1 :]
    return val


def _build(case) -> tuple[object, str]:
    """The application of ``case`` and what building it printed (the real config.exe prints it too)."""
    rel = str(case.config_dir.relative_to(ROOT))
    cfg = _opt(case.args, "-f", "--file") or "config.ml"
    builder = BUILDERS.get(rel)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        if builder is not None:
            app = builder(cfg)
        else:
            twin = TWINS / rel / "config.py"
            if not twin.exists():
                pytest.skip(f"no Python build of {rel} (neither in this test nor at {twin})")
            from mirage_nb.loader import load_config

            app = load_config(str(twin))
            app.config_file = cfg
    return app, out.getvalue()


def _configured(app, args: list[str]):
    from mirage_nb.mirage import Key

    target = _opt(args, "-t", "--target") or "unix"
    return app.evaluate(K.Context({"target": Key.Mode(target)}), full=True)


def _repos(args: list[str]):
    return [] if "--no-extra-repo" in args else None


def _depext(args: list[str]) -> bool:
    flags = [a for a in args if a in ("--depext", "--no-depext")]
    return not flags or flags[-1] == "--depext"


def _stdout_file(case) -> bytes:
    p = case.config_dir / f"{case.name}.txt"
    return p.read_bytes() if p.exists() else b""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The cases are listed at collection time, never when the module is imported."""
    if "case" in metafunc.fixturenames:
        cases = _cases() or [pytest.param(None, marks=pytest.mark.skip(reason=f"no reference at {SHARED}"))]
        metafunc.parametrize("case", cases)


def test_reference(case) -> None:
    app, notices = _build(case)
    c = _configured(app, case.args)
    assert case.rc == 0
    if case.kind == "configure":
        fs = VirtualFS()
        codegen.configure(c, fs, argv=case.args, depext=_depext(case.args), extra_repos=_repos(case.args))
        stdout = notices + "".join(m + "\n" for m in fs.messages)
        assert stdout.encode() == _stdout_file(case)
        want = {str(f.relative_to(case.files_dir)): f.read_bytes() for f in case.files_dir.rglob("*") if f.is_file()}
        got = {p: t.encode() for p, t in fs.files().items()}
        assert sorted(got) == sorted(want)
        for path in sorted(want):
            assert got[path].decode() == want[path].decode(), path
    else:
        positionals = [a for a in case.args[1:] if not a.startswith("-")]
        flags_with_value = {_opt(case.args, "-t", "--target"), _opt(case.args, "-f", "--file")}
        kinds = [p for p in positionals if p not in flags_with_value]
        kind = kinds[0] if kinds else "packages"
        text = codegen.query(
            c,
            kind,
            argv=case.args,
            depext=_depext(case.args),
            extra_repos=_repos(case.args),
            context_exists=case.setup is not None,
        )
        assert (notices + text) == _stdout_file(case).decode()
