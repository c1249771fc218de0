"""High-level devices (a mirage_nb proposal): each describes, draws and configures as its plain config does."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import Any

import pytest

import mirage_nb.mirage as M
from mirage_nb import config_ml
from mirage_nb.errors import ConfigError
from mirage_nb.lab import EXAMPLES_DIR
from mirage_nb.loader import load_config
from mirage_nb.mirage import proposals as P
from mirage_nb.notebook._learner import fold_of_app


def _quiet(f: Any, *args: Any, **kw: Any) -> Any:
    with contextlib.redirect_stdout(io.StringIO()):
        return f(*args, **kw)


def _outputs(app: Any) -> list[Any]:
    return [
        _quiet(app.describe),
        _quiet(app.dot),
        _quiet(app.describe, dot=True, eval=False),
        _quiet(app.describe, target="hvt"),
        _quiet(app.configure),
        _quiet(app.configure, target="hvt"),
    ]


def _plain_static_web() -> Any:
    stack = M.generic_stackv4v6(M.default_network)
    server = M.cohttp_server(M.conduit_direct(stack, tls=False))
    return M.register("www", [M.main("Unikernel.Make", M.kv_ro @ M.http @ M.job)(M.generic_kv_ro("htdocs"), server)])


PLAIN: dict[str, tuple[str, Callable[[], Any], str]] = {
    "https_website": ("https", lambda: load_config("config.ml"), "static_website_tls"),
    "dns_server": ("primary", lambda: load_config("config.ml"), "dns_server"),
    "dhcp_server": ("dhcp", lambda: load_config("config.ml"), "dhcp"),
    "static_website": ("www", _plain_static_web, "hello"),
}


@pytest.mark.parametrize("name", sorted(P.PROPOSALS))
def test_high_level_device_is_its_plain_config(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app_name, make_plain, example = PLAIN[name]
    monkeypatch.chdir(EXAMPLES_DIR / example)  # generated files live under the config's directory
    plain = _quiet(make_plain)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        hl = M.register(app_name, [P.PROPOSALS[name]()])
    hl.config_file = plain.config_file
    # the only difference a learner sees: the proposal's notice, printed when it is called
    assert out.getvalue() == P.NOTICE.format(name=name) + "\n"
    assert "not part of MirageOS 4.11.1" in out.getvalue()
    assert _outputs(hl) == _outputs(plain)


@pytest.mark.parametrize("name", sorted(P.PROPOSALS))
def test_printed_config_is_plain_and_configures_alike(name: str) -> None:
    app_name, _, _ = PLAIN[name]
    hl = _quiet(M.register, app_name, [P.PROPOSALS[name]()])
    text = hl.to_config_ml()
    assert name not in text and "proposal" not in text.lower()  # what the real tool accepts
    back = _quiet(config_ml.loads, text)
    assert _outputs(back) == _outputs(hl)


def test_proposals_are_not_in_the_mirage_namespace() -> None:
    for name in P.PROPOSALS:
        assert not hasattr(M, name)
        assert "not in MirageOS 4.11.1" in (P.PROPOSALS[name].__doc__ or "")


def test_a_shared_stack_stays_outside_the_fold() -> None:
    def build() -> Any:
        stack = M.generic_stackv4v6(M.default_network)
        return M.register("pair", [P.https_website(stack=stack), P.dns_server(stack=stack)])

    app = _quiet(build)
    fold = fold_of_app(app)
    assert fold is not None
    labels = [label for label, _ in fold.groups]
    assert labels == [
        "https_website (mirage_nb proposal, not in MirageOS 4.11.1)",
        "dns_server (mirage_nb proposal, not in MirageOS 4.11.1)",
    ]
    web, dns = (set(m) for _, m in fold.groups)
    assert web and dns and not web & dns
    assert "https_website (mirage_nb proposal" in fold.source
    # the shared stack's vertex is drawn, not folded into either group
    assert "tcpip_stack_direct_makev4v6" in fold.source
    # and the pair prints back as one config.ml sharing one stack
    text = app.to_config_ml()
    assert text.count("generic_stackv4v6 default_network") == 1
    assert _outputs(_quiet(config_ml.loads, text)) == _outputs(app)


def test_a_plain_config_has_no_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES_DIR / "dns_server")
    fold = fold_of_app(_quiet(load_config, "config.ml"))
    assert fold is not None and fold.groups == ()


def test_wrong_stack_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="~stack must be a device"):
        P.https_website(stack="eth0")  # type: ignore[arg-type]
