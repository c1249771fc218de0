"""Twin of mirage-skeleton applications/dns: look up the IPv4 address of --domain-name and log it.

``--domain-name`` is required and must be a host name (``Domain_name.host``);
a failed lookup fails the unikernel with the client's message, as ``failwith`` does.
"""

import dns.exception
import dns.name

from mirage_nb.unikernel import Arg, Error, Ipaddr, Logs, Mirage_runtime, Ok, failwith


def _host(s: str) -> str:
    try:
        n = dns.name.from_text(s)
    except dns.exception.DNSException as e:
        raise ValueError(f"invalid domain name {s!r}: {e}") from None
    labels = [lb.decode("ascii", "replace") for lb in n.labels if lb]
    if not labels or not all(lb.replace("-", "").isalnum() and not lb.startswith("-") for lb in labels):
        raise ValueError(f"invalid host name {s!r}")
    return ".".join(labels)


_name_c = Arg.conv(_host, str)
_doc = Arg.info(["domain-name"], doc="The domain-name to resolve.")
domain_name = Mirage_runtime.register_arg(Arg.required(Arg.opt(Arg.some(_name_c), None, _doc)))


class Make:
    """``module Make (DNS : Dns_client_mirage.S)``."""

    def __init__(self, DNS):  # noqa: N803 - the functor's module argument
        self.DNS = DNS

    async def start(self, dns):
        match await self.DNS.gethostbyname(dns, domain_name()):
            case Ok(ipv4):
                Logs.info(lambda m: m("%s: %s", domain_name(), Ipaddr.to_string(ipv4)))
            case Error(err):
                failwith(str(err))
