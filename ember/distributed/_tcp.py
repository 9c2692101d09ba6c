"""The "gloo" backend, in pure Python: every pair of ranks shares one TCP connection.

Named after PyTorch's CPU backend so scripts that ask for "gloo" run unchanged, but it is not
Gloo: a collective sends each rank's array straight to the ranks that need it (all-gather then a
local reduction in rank order), which keeps every rank's result bit-identical and the code short,
at the price of O(world size) traffic per rank. It suits a few processes on one or a handful of
machines; use the "mpi" backend to scale further.

Rendezvous: rank 0 listens on MASTER_ADDR:MASTER_PORT; every other rank connects to it with its
own listening port, receives the table of all ranks' addresses, then connects to each lower rank
and accepts from each higher one. A reader thread per connection files arriving messages in a
mailbox under (source, key); a collective's key is (group id, sequence number), so messages of
different groups, of point-to-point sends and of overlapping async collectives never mix.
"""
from __future__ import annotations

import pickle
import socket
import struct
import threading
import time
from datetime import timedelta
from typing import Any, Callable, Sequence

import numpy as np

from ._process_group import (DistBackendError, DistNetworkError, DistStoreError, ProcessGroup,
                             Work, reduce_arrays)

_HEADER = struct.Struct("!QI")  # pickle length, number of out-of-band buffers
_LENGTH = struct.Struct("!Q")


# -- framing: a message is a pickle whose array buffers travel out of band (no copies) ----------
def _send_frame(sock: socket.socket, obj: Any) -> None:
    buffers: list = []
    meta = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    raws = [b.raw() for b in buffers]
    head = _HEADER.pack(len(meta), len(raws)) + b"".join(_LENGTH.pack(r.nbytes) for r in raws)
    sock.sendall(head + meta)
    for raw in raws:
        sock.sendall(raw)


def _recv_exact(sock: socket.socket, n: int) -> bytearray:
    out = bytearray(n)
    view = memoryview(out)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:])
        if k == 0:
            raise ConnectionError("connection closed")
        got += k
    return out


def _recv_frame(sock: socket.socket) -> Any:
    meta_len, n_buffers = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    sizes = [_LENGTH.unpack_from(_recv_exact(sock, _LENGTH.size))[0] for _ in range(n_buffers)]
    meta = _recv_exact(sock, meta_len)
    return pickle.loads(meta, buffers=[_recv_exact(sock, n) for n in sizes])


class _Mailbox:
    """Messages that arrived, under (source rank, key), and which peers are gone."""

    def __init__(self, rank: int) -> None:
        self._rank = rank
        self._cond = threading.Condition()
        self._messages: dict = {}
        self._closed: dict[int, str] = {}

    def put(self, src: int, key: tuple, payload: Any) -> None:
        with self._cond:
            self._messages[(src, key)] = payload
            self._cond.notify_all()

    def close(self, src: int, reason: str) -> None:
        with self._cond:
            self._closed.setdefault(src, reason)
            self._cond.notify_all()

    def has(self, wanted: Sequence[tuple[int, tuple]]) -> bool:
        with self._cond:
            return any(w in self._messages for w in wanted)

    def take(self, wanted: Sequence[tuple[int, tuple]], deadline: float,
             what: str) -> tuple[int, Any]:
        """The first of the ``wanted`` (source, key) messages to arrive, with its source."""
        with self._cond:
            while True:
                for w in wanted:
                    if w in self._messages:
                        return w[0], self._messages.pop(w)
                for src, _ in wanted:
                    if src in self._closed:
                        raise DistBackendError(f"[Rank {self._rank}] {self._closed[src]} "
                                               f"(during {what})")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    srcs = ", ".join(str(s) for s, _ in wanted)
                    raise DistBackendError(f"[Rank {self._rank}] Timed out waiting for rank "
                                           f"{srcs} in {what}")
                self._cond.wait(remaining)


class _Transport:
    """One process's connections to every other rank of the world."""

    def __init__(self, rank: int, size: int, sockets: dict[int, socket.socket]) -> None:
        self.rank = rank
        self.size = size
        self.mailbox = _Mailbox(rank)
        self._sockets = sockets
        self._send_locks = {r: threading.Lock() for r in sockets}
        self._group_ids = 0
        for peer, sock in sockets.items():
            sock.settimeout(None)
            threading.Thread(target=self._read, args=(peer, sock), daemon=True,
                             name=f"ember-gloo-reader-{peer}").start()

    def new_group_id(self) -> int:
        self._group_ids += 1
        return self._group_ids

    def _read(self, peer: int, sock: socket.socket) -> None:
        try:
            while True:
                key, payload = _recv_frame(sock)
                self.mailbox.put(peer, key, payload)
        except (OSError, EOFError, pickle.UnpicklingError):
            self.mailbox.close(peer, f"Connection closed by peer [rank {peer}]")

    def send(self, dst: int, key: tuple, payload: Any, what: str) -> None:
        try:
            with self._send_locks[dst]:
                _send_frame(self._sockets[dst], (key, payload))
        except OSError as exc:
            self.mailbox.close(dst, f"Connection closed by peer [rank {dst}]")
            raise DistBackendError(f"[Rank {self.rank}] Connection to rank {dst} failed during "
                                   f"{what}: {exc}") from None

    def close(self) -> None:
        for peer, sock in self._sockets.items():
            self.mailbox.close(peer, "Process group was destroyed")
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class TCPProcessGroup(ProcessGroup):
    """A group of ranks over a shared ``_Transport``; ranks here are group ranks."""

    backend_name = "gloo"

    def __init__(self, transport: _Transport, ranks: Sequence[int], group_id: int,
                 timeout: timedelta) -> None:
        super().__init__(list(ranks).index(transport.rank), ranks, timeout)
        self._transport = transport
        self._group_id = group_id
        self._seq = 0
        self._p2p_lock = threading.Lock()
        self._sent: dict = {}
        self._received: dict = {}

    # -- moving one message ---------------------------------------------------------------
    def _next_key(self) -> tuple:
        self._seq += 1
        return (self._group_id, self._seq)

    def _deadline(self) -> float:
        return time.monotonic() + self.timeout.total_seconds()

    def _send(self, dst: int, key: tuple, payload: Any, what: str) -> None:
        self._transport.send(self.ranks[dst], key, payload, what)

    def _recv(self, src: int, key: tuple, deadline: float, what: str) -> Any:
        return self._transport.mailbox.take([(self.ranks[src], key)], deadline, what)[1]

    def _others(self) -> list[int]:
        return [g for g in range(self.size()) if g != self._rank]

    # -- collectives ----------------------------------------------------------------------
    def allgather(self, array: Any, what: str = "allgather") -> list:
        key, deadline = self._next_key(), self._deadline()
        for g in self._others():
            self._send(g, key, array, what)
        out = [array] * self.size()
        for g in self._others():
            out[g] = self._recv(g, key, deadline, what)
        return out

    def allreduce(self, array: np.ndarray, op) -> np.ndarray:
        return reduce_arrays(self.allgather(array, "allreduce"), op)

    def gather(self, array: Any, root: int, what: str = "gather") -> list | None:
        key, deadline = self._next_key(), self._deadline()
        if self._rank != root:
            self._send(root, key, array, what)
            return None
        out = [array] * self.size()
        for g in self._others():
            out[g] = self._recv(g, key, deadline, what)
        return out

    def reduce(self, array: np.ndarray, root: int, op) -> np.ndarray | None:
        arrays = self.gather(array, root, "reduce")
        return None if arrays is None else reduce_arrays(arrays, op)

    def broadcast(self, array: Any, root: int, what: str = "broadcast") -> Any:
        key, deadline = self._next_key(), self._deadline()
        if self._rank == root:
            for g in self._others():
                self._send(g, key, array, what)
            return array
        return self._recv(root, key, deadline, what)

    def scatter(self, arrays: Sequence[Any] | None, root: int, like: Any = None,
                what: str = "scatter") -> Any:
        key, deadline = self._next_key(), self._deadline()
        if self._rank == root:
            for g in self._others():
                self._send(g, key, arrays[g], what)
            return arrays[root]
        return self._recv(root, key, deadline, what)

    def alltoall(self, arrays: Sequence[Any], what: str = "alltoall") -> list:
        key, deadline = self._next_key(), self._deadline()
        for g in self._others():
            self._send(g, key, arrays[g], what)
        out = [arrays[self._rank]] * self.size()
        for g in self._others():
            out[g] = self._recv(g, key, deadline, what)
        return out

    def reduce_scatter(self, arrays: Sequence[np.ndarray], op) -> np.ndarray:
        return reduce_arrays(self.alltoall(arrays, "reduce_scatter"), op)

    def barrier(self) -> None:
        self.allgather(None, "barrier")

    # Messages are pickles, so objects travel exactly like arrays.
    def allgather_object(self, obj: Any) -> list:
        return self.allgather(obj, "all_gather_object")

    def broadcast_object(self, obj: Any, root: int) -> Any:
        return self.broadcast(obj, root, "broadcast_object_list")

    def gather_object(self, obj: Any, root: int) -> list | None:
        return self.gather(obj, root, "gather_object")

    def scatter_object(self, objs: Sequence[Any] | None, root: int) -> Any:
        return self.scatter(objs, root, what="scatter_object_list")

    # -- point to point: the n-th send from a to b on a tag meets b's n-th receive from a --------
    def _ticket(self, counters: dict, peer: int, tag: int) -> tuple:
        n = counters.get((peer, tag), 0)
        counters[(peer, tag)] = n + 1
        return ("p2p", self._group_id, tag, n)

    def isend(self, array: np.ndarray, dst: int, tag: int) -> Work:
        with self._p2p_lock:
            key = self._ticket(self._sent, dst, tag)
            self._send(dst, key, array, "send")
        work = Work(what="send")
        work._finish()
        return work

    def irecv(self, like: np.ndarray, src: int | None, tag: int,
              on_receive: Callable[[np.ndarray, int], None]) -> Work:
        mailbox = self._transport.mailbox
        timeout = self.timeout.total_seconds()
        if src is not None:
            with self._p2p_lock:
                wanted = [(self.ranks[src], self._ticket(self._received, src, tag))]

            def wait() -> None:
                on_receive(mailbox.take(wanted, time.monotonic() + timeout, "recv")[1], src)
            return Work(wait, lambda: mailbox.has(wanted), timeout, "recv")

        def any_source() -> list:
            with self._p2p_lock:
                return [(self.ranks[g], ("p2p", self._group_id, tag,
                                         self._received.get((g, tag), 0)))
                        for g in self._others()]

        def wait_any() -> None:
            peer, payload = mailbox.take(any_source(), time.monotonic() + timeout, "recv")
            g = self.ranks.index(peer)
            with self._p2p_lock:
                self._ticket(self._received, g, tag)
            on_receive(payload, g)
        return Work(wait_any, lambda: mailbox.has(any_source()), timeout, "recv")

    def new_subgroup(self, ranks: Sequence[int], timeout: timedelta) -> "TCPProcessGroup | None":
        group_id = self._transport.new_group_id()
        if self._transport.rank not in ranks:
            return None
        return TCPProcessGroup(self._transport, ranks, group_id, timeout)

    def close(self) -> None:
        # Closing the sockets ends whatever still waits on a peer, so the wait can be short.
        self.shutdown(wait=1.0)
        if self._group_id == 0:  # the world owns the connections
            self._transport.close()


# -- rendezvous -------------------------------------------------------------------------------
def connect(host: str, port: int, rank: int, world_size: int,
            timeout: timedelta) -> TCPProcessGroup:
    """Rendezvous with the other ranks at ``host:port`` (rank 0 listens there)."""
    deadline = time.monotonic() + timeout.total_seconds()
    if world_size == 1:
        sockets: dict = {}
    elif rank == 0:
        sockets = _serve(host, port, world_size, deadline)
    else:
        sockets = _join(host, port, rank, world_size, deadline)
    return TCPProcessGroup(_Transport(rank, world_size, sockets), range(world_size), 0, timeout)


def _listen(host: str, port: int) -> socket.socket:
    try:
        return socket.create_server((host, port))
    except OSError as exc:
        raise DistNetworkError(f"The server socket has failed to listen on any local network "
                               f"address. port: {port}, host: {host}, message: {exc}") from None


def _prepare(sock: socket.socket, deadline: float) -> socket.socket:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(max(deadline - time.monotonic(), 0.001))
    return sock


def _accept(server: socket.socket, deadline: float, waiting_for: str) -> socket.socket:
    server.settimeout(max(deadline - time.monotonic(), 0.001))
    try:
        conn, _ = server.accept()
    except socket.timeout:
        raise DistStoreError(f"Timed out waiting for {waiting_for}") from None
    return _prepare(conn, deadline)


def _serve(host: str, port: int, world_size: int, deadline: float) -> dict:
    """Rank 0: collect every rank's hello, then send all of them the address table."""
    server = _listen(host, port)
    clients: dict[int, socket.socket] = {}
    table: dict[int, tuple] = {}
    try:
        while len(clients) < world_size - 1:
            conn = _accept(server, deadline, f"clients. {len(clients) + 1}/{world_size} clients "
                                             "joined.")
            try:
                hello = _recv_frame(conn)
            except (OSError, EOFError):
                conn.close()
                continue
            problem = None
            if hello["world_size"] != world_size:
                problem = (f"rank {hello['rank']} was started with world_size "
                           f"{hello['world_size']}, rank 0 with {world_size}")
            elif hello["rank"] in clients or not 0 < hello["rank"] < world_size:
                problem = f"rank {hello['rank']} joined twice or is out of range"
            if problem is not None:
                for sock in (*clients.values(), conn):
                    _send_frame(sock, {"error": problem})
                raise DistStoreError(f"Rendezvous failed: {problem}")
            clients[hello["rank"]] = conn
            table[hello["rank"]] = (conn.getpeername()[0], hello["port"])
        for conn in clients.values():
            _send_frame(conn, {"table": table})
    except BaseException:
        for conn in clients.values():
            conn.close()
        raise
    finally:
        server.close()
    return clients


def _join(host: str, port: int, rank: int, world_size: int, deadline: float) -> dict:
    """Rank r > 0: hello to rank 0, then connect to lower ranks and accept higher ones."""
    master = _connect_retrying(host, port, deadline)
    server = _listen(master.getsockname()[0], 0)
    sockets = {0: master}
    try:
        _send_frame(master, {"rank": rank, "world_size": world_size,
                             "port": server.getsockname()[1]})
        reply = _recv_reply(master, world_size)
        for peer in range(1, rank):
            sock = _connect_retrying(*reply["table"][peer], deadline)
            _send_frame(sock, {"rank": rank})
            sockets[peer] = sock
        for _ in range(rank + 1, world_size):
            conn = _accept(server, deadline, f"higher ranks to connect to rank {rank}")
            sockets[_recv_frame(conn)["rank"]] = conn
    except BaseException:
        for sock in sockets.values():
            sock.close()
        raise
    finally:
        server.close()
    return sockets


def _recv_reply(master: socket.socket, world_size: int) -> dict:
    try:
        reply = _recv_frame(master)
    except socket.timeout:
        raise DistStoreError(f"Timed out waiting for all {world_size} ranks to join the "
                             "rendezvous") from None
    except (OSError, EOFError):
        raise DistStoreError("Rank 0 closed the connection during rendezvous") from None
    if "error" in reply:
        raise DistStoreError(f"Rendezvous failed: {reply['error']}")
    return reply


def _connect_retrying(host: str, port: int, deadline: float) -> socket.socket:
    """Connect, retrying while the listener is not up yet (ranks start in any order)."""
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=1.0)
            return _prepare(sock, deadline)
        except OSError as exc:
            if time.monotonic() >= deadline:
                raise DistNetworkError(f"Timed out connecting to {host}:{port}: {exc}") from None
            time.sleep(0.05)
