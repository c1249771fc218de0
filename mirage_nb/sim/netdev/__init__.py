"""Network devices for simulated unikernels: MirageOS's network APIs over the sans-IO machines of ``sim.net``.

A unikernel written against ``Tcpip.Stack.V4V6`` (or ``Mirage_net.S``,
``Ethernet.S``, ``Tcpip.Ip.S``...) receives these devices when the boot
connects its graph. Each device is a thin async shell: it feeds bytes and
the virtual time to a machine of :mod:`mirage_nb.sim.net`, sends the frames
the machine returns, keeps one :class:`~.lan.Alarm` at the machine's next
deadline, and turns the machine's events into what the OCaml API returns.

Modules (MirageOS twin in brackets):

- ``lan``: :class:`~.lan.VirtualLan`, the switched segment a run owns
  (``VirtualLan.of_run(run, pcap=PcapWriter(f), profile=LinkProfile(...))``),
  with :class:`~.lan.Alarm` for machine timers.
- ``link``: :class:`~.link.Netif` [mirage-net-unix ``Netif``, ``Mirage_net.S``:
  ``connect name``, ``listen ~header_size fn``, ``write ~size fill``, ``mac``,
  ``mtu``, ``get_stats_counters``, ``disconnect``],
  :class:`~.link.EthernetDevice` [``Ethernet.Make``: ``input ~arpv4 ~ipv4 ~ipv6``,
  ``write``, ``mac``, ``mtu``], :class:`~.link.ArpDevice` [``Arp.Make``:
  ``query``, ``get_ips``/``set_ips``/``add_ip``/``remove_ip``, ``input``].
- ``ip``: :class:`~.ip.Ipv4Device` [``Static_ipv4.Make``],
  :class:`~.ip.DhcpIpv4Device` [``Dhcp_ipv4.Make``; ``net()``/``ipv4()``/``lease()`` are
  ``Proj_net``/``Proj_ipv4``/``Proj_lease``], :class:`~.ip.Ipv6Device` [``Ipv6.Make``],
  :class:`~.ip.DualIp` [``Tcpip_stack_direct.IPV4V6``], :class:`~.ip.Icmpv4Device`
  [``Icmpv4.Make``]; all with ``input ~tcp ~udp ~default``, ``write``, ``src``,
  ``configured_ips``, ``mtu``.
- ``transport``: :class:`~.transport.UdpDevice` [``Udp.Make``: ``listen ~port``,
  ``unlisten``, ``write ?src ?src_port ?ttl ~dst ~dst_port``],
  :class:`~.transport.TcpDevice` / :class:`~.transport.TcpFlow` [``Tcp.Flow.Make``
  and ``Utcp_mirage.Make``: ``listen``, ``unlisten``, ``create_connection``,
  ``read``, ``write``, ``writev``, ``close``, ``shutdown``, ``dst``, ``src``].
- ``stack``: :class:`~.stack.StackDevice` [``Tcpip_stack_direct.MakeV4V6``:
  ``tcp``, ``udp``, ``ip``, ``listen``, ``disconnect``], the socket stack
  [``Tcpip_stack_socket.V4V6``, ``Udpv4v6_socket``, ``Tcpv4v6_socket``],
  :func:`~.stack.connect_direct_stack` (a whole stack without a boot) and
  :data:`~.stack.STACK_MODULE` (the module ``S`` a functor receives).
- ``kinds``: the boot connectors (:data:`~.kinds.NET_CONNECTORS`, by kind;
  :data:`~.kinds.KIND_OF_MODULE`, by module name), the network runtime
  arguments (:func:`~.kinds.net_arg`), :func:`~.kinds.run_network_example`
  (a bundled example from its config.ml, with peers), and
  :func:`~.kinds.attach_unikernel` (a second unikernel on the same LAN).
- ``peer``: :class:`~.peer.Peer`, a scripted host (a ``sim.net.host.Host`` plus TCP) on the LAN.
- services over the stack (``http_kinds`` connects them): ``conduit`` [``Conduit_mirage.TCP``/``TLS``;
  endpoints ``TCP(80)``, ``TLS(cfg, TCP(443))``], ``cohttp`` [``Cohttp_mirage.Server.Make``,
  ``Client.Make``; HTTP/1.1 by h11], ``paf`` [``Paf_mirage.Make``, httpaf's ``H1``], ``tls``
  [``Tls.Config``, ``Tls_mirage.X509``, TLS flows over ``sim.net.tls``], ``pki`` (test CAs),
  ``http_peer`` (:class:`~.http_peer.HttpPeer`, a scripted HTTP(S) client) and
  ``http_examples`` (the bundled HTTP unikernels on a LAN or bridged).
- ``dns``: :class:`~.dns.DnsClientDevice` [``Dns_client_mirage.Make``: ``gethostbyname``,
  ``gethostbyname6``, ``getaddrinfo``], :class:`~.dns.HappyEyeballsDevice`
  [``Happy_eyeballs_mirage.Make``: ``connect``, ``connect_ip``], their runtime
  arguments (``--dns-*``, ``--he-*``) and the ``Dns_zone``/``Dns_server`` twins.
- ``dhcp``: the ``Dhcp_wire``/``Dhcp_server`` twins a charrua server unikernel calls.
- ``dns_peer``: scripted :class:`~.dns_peer.DnsServerPeer`, :class:`~.dns_peer.DnsClientPeer`
  and :class:`~.dns_peer.DhcpClientPeer`.
- ``syslog``: the log reporters [``Logs_syslog_mirage.Udp``/``Tcp``,
  ``Logs_syslog_mirage_tls.Tls``; ``--syslog*`` arguments], ``Mirage_monitoring``
  (says what it omits) and :class:`~.syslog.SyslogPeer`, a log host.
- ``values``: the values devices return (see its docstring for the OCaml -> Python mapping).

From Python, a functor's module is a :class:`~._module.DeviceModule`: ``S.TCP.read(flow)``
is ``S.TCP.read flow``, labelled arguments are keywords
(``S.TCP.listen(S.tcp(s), port=8080, callback=f)``), and results are
``Ok``/``Error`` of :mod:`mirage_nb.sim.result` holding the values of ``values``.

Deliberate departures from MirageOS, in one place:

1. Frames take no time to cross a link unless a :class:`~mirage_nb.sim.net.switch.LinkProfile`
   says so (latency, bandwidth, seeded loss).
2. MAC addresses are drawn from a generator seeded by the run's seed and the
   port's name (``Macaddr.make_local`` draws from OCaml's ``Random``).
3. IPv6 duplicate address detection sends one probe and waits the 1 s the real
   stack waits; no conflict is ever detected. Router advertisements are
   honoured unless ``--accept-router-advertisements=false``.
4. TCP is the project's own machine (``sim.net.tcp``) for both ``Tcp.Flow.Make``
   and ``Utcp_mirage.Make``: no keepalive (the argument is accepted and
   ignored); a reset reads as ``Eof``; a writer waits while more than 256 KiB
   are unacknowledged; one endpoint per address family so each announces the MSS
   its IP layer allows.
5. IPv4 writes that must wait for ARP return once the answer (or the timeout)
   comes, as ``Static_ipv4`` does; TCP and UDP segments queue in the IPv4 layer
   without blocking the caller.
6. The socket stack (``--net=host``) is a quiet direct stack on a LAN port
   named ``host`` standing for the host's kernel; the default ``0.0.0.0/0``
   becomes 10.0.0.2/24.
7. Network log sources are declared when the boot collects the runtime
   arguments, so ``-l tcp.pcb:debug`` is accepted (MirageOS declares them at
   module initialisation).
8. Unikernels attached to one run share its console and log levels (their
   boot arguments are parsed separately).
9. Errors a unikernel causes by misuse (a port out of range, a second
   concurrent ``read`` on a flow) raise :class:`~mirage_nb.errors.SimulationError`
   where OCaml raises ``Invalid_argument``.
"""

from mirage_nb.sim.netdev.values import (
    Closed,
    Data,
    Disconnected,
    Eof,
    Exceeds_mtu,
    Invalid_length,
    Ipaddr,
    Macaddr,
    No_route,
    Not_ready,
    Refused,
    Stats,
    Timeout,
    Would_fragment,
)

__all__ = [
    "Closed",
    "Data",
    "Disconnected",
    "Eof",
    "Exceeds_mtu",
    "Invalid_length",
    "Ipaddr",
    "Macaddr",
    "No_route",
    "Not_ready",
    "Refused",
    "Stats",
    "Timeout",
    "Would_fragment",
]
