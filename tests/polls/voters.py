"""Many seats at once for the polls' concurrency test: one asyncio loop, one websocket (aiohttp) per seat,
speaking the Socket.IO protocol directly (Engine.IO 4 / Socket.IO 5 text packets: open, CONNECT with auth,
EVENT with an ack id, ACK, ping/pong), so that hundreds of clients cost the test little next to the
servers it measures. Events the server broadcasts are kept in order of arrival."""

from __future__ import annotations

import asyncio
import json

import aiohttp

TIMEOUT = 60.0


class Voter:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, auth: dict):
        self.session, self.base_url, self.auth = session, base_url, auth
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task | None = None
        self.acks: dict[int, asyncio.Future] = {}
        self.next_ack = 0
        self.events: list[dict] = []

    async def open(self, meeting_id: int) -> dict:
        address = "ws" + self.base_url.removeprefix("http") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await asyncio.wait_for(self.session.ws_connect(address, max_msg_size=0), TIMEOUT)
        if not (await self.ws.receive_str(timeout=TIMEOUT)).startswith("0"):
            raise RuntimeError("no Engine.IO open packet")
        await self.ws.send_str("40" + json.dumps(self.auth))
        answer = await self.ws.receive_str(timeout=TIMEOUT)
        if not answer.startswith("40"):
            raise ConnectionRefusedError(answer[2:300])
        self.reader = asyncio.create_task(self._read())
        return await self.call("join", {"meeting_id": meeting_id})

    async def call(self, name: str, data: dict) -> dict:
        self.next_ack += 1
        ack_id = self.next_ack
        future = asyncio.get_running_loop().create_future()
        self.acks[ack_id] = future
        await self.ws.send_str(f"42{ack_id}" + json.dumps([name, data], separators=(",", ":")))
        try:
            return (await asyncio.wait_for(future, TIMEOUT))[0]
        finally:
            self.acks.pop(ack_id, None)

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            text = message.data
            if text == "2":
                await self.ws.send_str("3")
            elif text.startswith("42"):
                name, *arguments = json.loads(text[2:])
                if name == "event" and arguments:
                    self.events.append(arguments[0])
            elif text.startswith("43"):
                bracket = text.index("[")
                future = self.acks.get(int(text[2:bracket]))
                if future is not None and not future.done():
                    future.set_result(json.loads(text[bracket:]))
            elif text.startswith("41") or text == "1":
                break

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            try:
                await self.ws.send_str("41")
                await self.ws.close()
            except (aiohttp.ClientError, ConnectionError):
                pass
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)
