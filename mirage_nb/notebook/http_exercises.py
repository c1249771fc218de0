"""The exercises of tutorial 12 (HTTP and TLS), checked by ``check("12.<topic>", answer)``.

They live here, beside nothing else, so the HTTP tutorial can grow without
touching the other tutorials' exercise lists; :func:`~.exercises.exercise`
finds them by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from mirage_nb.notebook.exercises import Exercise, number_check

__all__ = ["HTTP_EXERCISES"]


_check_redirect = number_check(
    "answer with the status code, a number such as 200.",
    301,
    "301 Moved Permanently, with a location: header pointing at the https:// URI.",
    {
        **dict.fromkeys(
            (302, 307, 308),
            "{answer} is a redirect too, but not the one dispatch.ml's redirect sends (Moved_permanently).",
        ),
        200: "plain HTTP does not serve the page: look at the first response of the run.",
    },
    "look at the status of the http:// response.",
)


def _check_hsts(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str) or not answer.strip():
        return False, "answer with a header name, as a string."
    name = answer.strip().rstrip(":").lower()
    if name == "strict-transport-security":
        return True, "HSTS: browsers that saw it use https:// for this host for max-age seconds."
    if name == "location":
        return False, "location is the redirect's header; the one asked for comes with every HTTPS page."
    return False, "it is the header the dispatcher adds to every page it serves over HTTPS."


def _check_bad_request(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, bytes | bytearray) or not answer:
        return False, "answer with the bytes the server sent back (what web.raw returns)."
    if bytes(answer).startswith(b"HTTP/1.1 400 "):
        return True, "the server answered 400 Bad Request and closed that connection; others are served on."
    return False, "send a request line without the HTTP version, e.g. b'GET /\\r\\n\\r\\n', to port 80."


def _items() -> Mapping[str, Exercise]:
    run = (
        "from mirage_nb.lab import HttpPeer, make_test_pki, run_http_example\n\n"
        'pki = make_test_pki(["10.0.0.2"])\n'
        "webs = []\n\n"
        "def setup(lan):\n"
        "    webs.append(HttpPeer.on(lan, ca=pki.ca))\n"
        '    webs[0].fetch(["http://10.0.0.2/"], at="2s")\n\n'
        'run_http_example("static_website_tls", pki=pki, setup=setup, until="4s")\n'
    )
    items = [
        Exercise(
            "12.redirect",
            "Which status code does static_website_tls answer a plain http:// request with?",
            _check_redirect,
            ("Fetch http://10.0.0.2/ with an HttpPeer and print .status.", "It is a permanent redirect."),
            run + "answer = webs[0].responses[0].status",
            "dispatch.ml's redirect answers Moved_permanently, 301, with location: https://...",
        ),
        Exercise(
            "12.hsts",
            "Which response header tells a browser to use only HTTPS for this site from now on?",
            _check_hsts,
            ("Print the headers of an https:// response.", "Its name abbreviates to HSTS."),
            'answer = "Strict-Transport-Security"',
            "the dispatcher starts every page's headers with Strict-Transport-Security: max-age=31536000.",
        ),
        Exercise(
            "12.bad_request",
            "Send conduit_server a malformed request with web.raw and answer with the bytes it sends back.",
            _check_bad_request,
            (
                "web.raw('10.0.0.2', 80, data) sends data as is and returns what came back.",
                "A request line needs a version: b'GET /\\r\\n\\r\\n' has none.",
            ),
            "from mirage_nb.lab import Duration, HttpPeer, Mirage_sleep, run_http_example\n\n"
            "got = []\n\n"
            "def setup(lan):\n"
            "    web = HttpPeer.on(lan)\n\n"
            "    async def go():\n"
            "        await Mirage_sleep.ns(Duration.of_sec(2))\n"
            '        got.append(await web.raw("10.0.0.2", 80, b"GET /\\r\\n\\r\\n"))\n\n'
            "    web.peer.script(go)\n\n"
            'run_http_example("conduit_server", setup=setup, until="10s")\n'
            "answer = got[0]",
            "h11 refuses a request line without HTTP/1.x; the server answers 400 and closes only that connection.",
        ),
    ]
    return MappingProxyType({e.name: e for e in items})


HTTP_EXERCISES: Mapping[str, Exercise] = _items()
"""The exercises of tutorial 12, by name."""
