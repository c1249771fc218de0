"""A simulated Xen host: hypervisor, grant tables, event channels, xenstore and console stub domains, split drivers.

Each piece is a state machine over bytes in shared pages, as on a real Xen
machine, run on the simulator's virtual clock:

==================  ===============================================================
module              what it holds
==================  ===============================================================
``ring``            the generic shared ring of ``io/ring.h`` (indexes, slots, notify rule)
``grant_table``     grant entries (v1 layout), map/unmap marks, revoke rules
``event_channel``   ports: alloc unbound, bind interdomain, notify, pending bits
``hypervisor``      domains, pages, one grant table each, the event-channel table
``xs_wire``         xenstore messages and the xenstore ring page
``xenstore``        the store: tree, permissions, transactions, watches (xenstored's logic)
``xs_client``       a domain's xenstore client over its ring page
``console_ring``    the console page of ``io/console.h``
``stubdoms``        xenstored and xenconsoled as domains of their own
``xenbus``          frontend/backend states and device paths
``blkif``/``netif`` the block and network ring messages
``blk``/``net``     blkfront/blkback, netfront/netback
``xl``              the ``.xl`` domain configuration reader
``host``            :class:`~.host.XenHost`: the machine, ``xl create``, the guest's boot
==================  ===============================================================
"""
