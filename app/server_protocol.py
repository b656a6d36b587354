"""uvicorn's httptools protocol with a header-read timeout.

uvicorn closes idle keep-alive connections (`timeout_keep_alive`) but has no limit on how long a
client may take to send a request's head once it has started: a client that sends one header
byte every few seconds holds a connection (and its memory) for ever (slowloris). This protocol
closes the connection when the request line and headers have not all arrived within
`HEADER_TIMEOUT_S` of the request's first byte (an idle connection is uvicorn's keep-alive
timeout's business). Bodies are not
affected: the body-size limit and the route's own work bound those.

Used by `llm-cost-estimator serve` (`uvicorn.run(..., http=HeaderTimeoutProtocol)`).
"""

from __future__ import annotations

from asyncio import TimerHandle

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: Seconds a client has to send a request line and its headers. Generous for any real client
#: (a request head is one packet), short enough that idle half-requests do not pile up.
HEADER_TIMEOUT_S = 10.0


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that closes a connection whose request head arrives too slowly."""

    header_timeout_s = HEADER_TIMEOUT_S
    _header_timer: TimerHandle | None = None

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        # From here the keep-alive timeout watches the idle connection.
        self._disarm_header_timer()
        super().on_response_complete()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._header_timeout)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()
