"""A minimal SIP answering endpoint that timestamps each INVITE on arrival.

sipp answers well but does not tell when, to the microsecond, an INVITE arrived; the benchmark
needs that against Asterisk's AMI timestamps (same clock, same machine). This endpoint answers
INVITE with 200 OK (SDP pointing at a socket nobody reads; the kernel drops the RTP), and
BYE/CANCEL properly.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from dataclasses import dataclass, field

FROM_NUMBER = re.compile(r"^From:.*?sip:([^@;>]+)@", re.MULTILINE | re.IGNORECASE)


def _header(message: str, name: str) -> str:
    match = re.search(rf"^{name}:\s*(.*)$", message, re.MULTILINE | re.IGNORECASE)
    return match.group(1).strip() if match else ""


@dataclass
class AnsweringEndpoint(asyncio.DatagramProtocol):
    port: int
    invites: dict[str, float] = field(default_factory=dict)  # caller number → arrival time
    transport: asyncio.DatagramTransport | None = None
    rtp: socket.socket | None = None

    async def start(self) -> AnsweringEndpoint:
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=("127.0.0.1", self.port))
        return self

    def stop(self) -> None:
        if self.transport:
            self.transport.close()
        if self.rtp:
            self.rtp.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        arrived = time.time()
        message = data.decode("utf-8", "replace")
        method = message.split(" ", 1)[0]
        if method == "INVITE":
            match = FROM_NUMBER.search(message)
            number = match.group(1) if match else ""
            self.invites.setdefault(number, arrived)
            self._reply(message, addr, "200 OK", sdp=True)
        elif method in ("BYE", "CANCEL", "OPTIONS"):
            self._reply(message, addr, "200 OK")
        # ACK and responses need no answer.

    def _reply(self, request: str, addr: tuple[str, int], status: str, sdp: bool = False) -> None:
        assert self.transport is not None and self.rtp is not None
        to = _header(request, "To")
        if ";tag=" not in to:
            to += ";tag=ep110"
        body = ""
        if sdp:
            port = self.rtp.getsockname()[1]
            body = (
                "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                f"m=audio {port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
                "a=rtpmap:101 telephone-event/8000\r\n"
            )
        lines = [f"SIP/2.0 {status}"]
        lines += [f"Via: {v}" for v in re.findall(r"^Via:\s*(.*)$", request, re.MULTILINE)]
        lines += [
            f"From: {_header(request, 'From')}",
            f"To: {to}",
            f"Call-ID: {_header(request, 'Call-ID')}",
            f"CSeq: {_header(request, 'CSeq')}",
            f"Contact: <sip:110@127.0.0.1:{self.port}>",
        ]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        self.transport.sendto(("\r\n".join(lines) + "\r\n\r\n" + body).encode(), addr)
