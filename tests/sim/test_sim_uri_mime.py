"""Uri, Magic_mime and Cohttp.Header twins: what an HTTP unikernel computes with them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mirage_nb.sim.magic_mime import Magic_mime
from mirage_nb.sim.netdev.cohttp import Code, Header, Request
from mirage_nb.sim.uri import Uri, UriT

_seg = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~", min_size=1, max_size=8)


@st.composite
def uris(draw) -> UriT:
    host = draw(st.one_of(st.none(), _seg, st.just("10.0.0.2"), st.just("fd00::2")))
    return UriT(
        scheme=draw(st.one_of(st.none(), st.sampled_from(["http", "https"]))) if host else None,
        host=host,
        port=draw(st.one_of(st.none(), st.integers(1, 65535))) if host else None,
        path="".join("/" + p for p in draw(st.lists(_seg, max_size=4))),
        query=draw(st.one_of(st.none(), _seg)),
    )


@given(uris())
def test_printing_then_parsing_gives_the_same_uri(u):
    assert Uri.of_string(Uri.to_string(u)) == u


@given(st.text(max_size=60))
def test_any_string_parses(s):
    assert isinstance(Uri.to_string(Uri.of_string(s)), str)


def test_the_rewrites_static_website_tls_does():
    u = Uri.of_string("//10.0.0.2/index.html")
    assert (Uri.host(u), Uri.port(u), Uri.path(u), Uri.scheme(u)) == ("10.0.0.2", None, "/index.html", None)
    r = Uri.with_port(Uri.with_scheme(u, "https"), 443)
    assert Uri.to_string(r) == "https://10.0.0.2:443/index.html"
    assert Uri.to_string(Uri.with_path(Uri.of_string("//h/"), "index.html")) == "//h/index.html"
    assert Uri.to_string(Uri.of_string("http://[fd00::2]:8080/x?y")) == "http://[fd00::2]:8080/x?y"


def test_request_uri_takes_host_and_port_from_the_host_header():
    req = Request("GET", "/a?b=c", Header.of_list([("Host", "example.org:8080")]))
    assert Uri.to_string(Request.uri(req)) == "//example.org:8080/a?b=c"
    assert Uri.to_string(Request.uri(Request("GET", "/x"))) == "/x"
    assert Uri.to_string(Request.uri(Request("GET", "http://h"))) == "http://h/"


def test_mime_types_by_extension_with_magic_mimes_default():
    assert Magic_mime.lookup("/index.html") == "text/html"
    assert Magic_mime.lookup("a/b/STYLE.CSS") == "text/css"
    assert Magic_mime.lookup("logo.svg") == "image/svg+xml"
    assert Magic_mime.lookup("README") == "application/octet-stream"
    assert Magic_mime.lookup("x.unknownext", default="text/plain") == "text/plain"


def test_headers_keep_order_and_compare_names_without_case():
    h = Header.add(Header.init_with("Strict-Transport-Security", "max-age=1"), "content-type", "text/html")
    h = Header.add(h, "Set-Cookie", "a=1")
    h = Header.add(h, "set-cookie", "b=2")
    assert Header.to_list(h)[0] == ("Strict-Transport-Security", "max-age=1")
    assert Header.get(h, "SET-COOKIE") == "b=2" and Header.get_multi(h, "set-cookie") == ["a=1", "b=2"]
    assert Header.get(Header.remove(h, "Set-Cookie"), "set-cookie") is None
    assert Header.add_unless_exists(h, "CONTENT-TYPE", "x") is h


def test_status_names_are_cohttps():
    assert Code.code_of_status("OK") == 200
    assert Code.code_of_status("Moved_permanently") == 301
    assert Code.code_of_status("Not_found") == 404
    assert Code.code_of_status("Internal_server_error") == 500
    assert Code.string_of_status("Bad_request") == "400 Bad Request"
