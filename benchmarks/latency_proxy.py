"""A TCP relay on loopback that adds network latency, for the benchmark; and
the same relay, without latency, as the sites' HTTPS front.

Each relay listens on a loopback port and forwards every connection to a
loopback target, delivering each chunk ``delay`` seconds after it read it
(both ways), so one round trip through it takes ``2 * delay`` however many
chunks are in flight. A new connection also waits one round trip before its
first byte goes on, as TCP's handshake would make it wait: over the relay, a
new HTTPS connection costs what it costs on a real network (TCP, then TLS),
and a request on a kept connection one round trip. TLS passes through
untouched (the relay sees only bytes).

With ``tls``, a relay terminates HTTPS for a plain-HTTP server behind it,
as a site's front server does (the benchmark's fake sites serve plain HTTP).
It does the handshakes concurrently, as such a front does; a threaded WSGI
server with TLS of its own (cheroot) does them one at a time in its accept
loop, so that over a network with latency a burst of new connections
would queue behind each other's round trips.

It counts the connections it accepted: with one relay per client, that is
the number of connections each client opened.

Bounded: loopback addresses only (it refuses anything else), at most
``max_connections`` at once (more are closed unanswered), at most
``max_chunks`` chunks of 64 KiB waiting per direction (the reader waits when
they are full), and :func:`serve` stops by itself after ``lifetime``
seconds, or when the process that started it goes away.

Example (a relay alone)::

    async def main():
        relay = LatencyRelay(("127.0.0.1", 8443), delay=0.025)
        port = await relay.start()
        ...  # connect to 127.0.0.1:port
        await relay.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
import threading
from multiprocessing.connection import Connection

CHUNK = 64 * 1024


def _check_loopback(host: str) -> None:
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the latency relay runs on loopback only, not {host}")


class LatencyRelay:
    """Relay connections from a free loopback port to ``target``, each chunk
    ``delay`` seconds late; ``connections`` counts the accepted ones."""

    def __init__(
        self,
        target: tuple[str, int],
        *,
        delay: float,
        max_connections: int = 400,
        max_chunks: int = 64,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        _check_loopback(target[0])
        self.target = target
        self.delay = delay
        self.max_connections = max_connections
        self.max_chunks = max_chunks
        self.tls = tls
        self.connections = 0
        self._open: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def start(self, host: str = "127.0.0.1") -> int:
        """Listen on a free port of ``host`` (loopback); returns the port."""
        _check_loopback(host)
        self._server = await asyncio.start_server(self._accepted, host, 0, ssl=self.tls)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._open):
            task.cancel()
        await asyncio.gather(*self._open, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accepted(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._open) >= self.max_connections:
            client_writer.close()
            return
        self.connections += 1
        self._open.add(task)
        try:
            await self._relay(client_reader, client_writer)
        except asyncio.CancelledError:
            pass  # close() ends the relay's connections
        finally:
            self._open.discard(task)

    async def _relay(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        server_writer: asyncio.StreamWriter | None = None
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
            # TCP's handshake: on a network the client's first byte leaves one
            # round trip after it called connect().
            if self.delay:
                await asyncio.sleep(2 * self.delay)
            await asyncio.gather(
                self._pipe(client_reader, server_writer),
                self._pipe(server_reader, client_writer),
            )
        except (OSError, asyncio.IncompleteReadError):
            pass  # either side went away: close both
        finally:
            for writer in (client_writer, server_writer):
                if writer is not None:
                    writer.close()
                    with contextlib.suppress(OSError):
                        await writer.wait_closed()

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        """Copy ``src`` to ``dst``, each chunk ``delay`` seconds after it was
        read; an end of stream is passed on (half-close) just as late."""
        loop = asyncio.get_running_loop()
        late: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(self.max_chunks)

        async def deliver() -> None:
            while True:
                due, chunk = await late.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                if not chunk:
                    if dst.can_write_eof():
                        dst.write_eof()
                    return
                dst.write(chunk)
                await dst.drain()

        delivering = asyncio.create_task(deliver())
        try:
            while True:
                chunk = await src.read(CHUNK)
                await late.put((loop.time() + self.delay, chunk))
                if not chunk:
                    break
            await delivering
        finally:
            delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await delivering


def serve(
    conn: Connection,
    targets: dict[str, int],
    cert_pem: str,
    delay: float,
    lifetime: float,
) -> None:
    """Child process: for each name in ``targets`` (a plain-HTTP port on
    loopback), an HTTPS front (``cert_pem``: key and certificate chain) and a
    relay to it with ``delay``; sends their ports (``https``, ``relayed``),
    then answers ``"stats"`` (connections each relay accepted) until it gets
    ``"stop"``, the parent goes away, or ``lifetime`` seconds have passed."""
    asyncio.run(_serve(conn, targets, cert_pem, delay, lifetime))


async def _serve(
    conn: Connection,
    targets: dict[str, int],
    cert_pem: str,
    delay: float,
    lifetime: float,
) -> None:
    loop = asyncio.get_running_loop()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_pem)
    relays: dict[str, LatencyRelay] = {}
    ports: dict[str, dict[str, int]] = {}
    for name, port in targets.items():
        front = LatencyRelay(("127.0.0.1", port), delay=0, tls=tls)
        front_port = await front.start()
        relays[name] = LatencyRelay(("127.0.0.1", front_port), delay=delay)
        ports[name] = {"https": front_port, "relayed": await relays[name].start()}
        relays[f"{name} front"] = front
    conn.send(ports)
    stop = asyncio.Event()

    def commands() -> None:
        with contextlib.suppress(EOFError, OSError):
            while conn.recv() == "stats":
                conn.send({name: relay.connections for name, relay in relays.items()})
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=commands, daemon=True).start()
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), lifetime)
    for relay in relays.values():
        await relay.close()
