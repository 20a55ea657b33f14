"""Raw Engine.IO frames that no Socket.IO client would send (issue 13): broken packets, JSON nested past the
parser's depth and a 5,000-digit number are dropped with one line in the log and no traceback, and the
connection goes on working; a command of a megabyte is answered payload_too_large without being read; a
websocket that ends takes its connection with it; and a join carried by the connect is answered ahead of the
connection's confirmation."""

from __future__ import annotations

import json
import time

import websocket

from tests.live.browsers import prepare_reference
from tests.live.servers import ServerProcess, scratch_database_url

MALFORMED = [
    '42["join",{"meeting_id":' + "9" * 5000 + "}]",  # past Python's limit for int() from text
    "42" + "[" * 100_000 + "]" * 100_000,  # past the JSON parser's depth
    '42["join",{"meeting_id":1',  # cut off
    "4x",  # not a packet type
    '45-["x"]',  # binary event with no attachment count
    "43",  # an acknowledgement of nothing
]


def _frames_until(ws, prefix: str) -> str:
    while True:
        frame = ws.recv()
        if frame == "2":  # Engine.IO ping
            ws.send("3")
        elif frame.startswith(prefix):
            return frame


def _the_connection_ends_with_its_websocket(url: str) -> None:
    """Once a websocket is over, its TCP connection is too: the server does not read the client's last
    frames as the next HTTP request (gevent's pywsgi did: a closing handshake logged as an "Invalid HTTP
    method" and answered with an HTTP 400 on the websocket, and the client, still waiting for the server's
    close, gave up only after its own timeout, 3 s for python-socketio's)."""
    ws = websocket.create_connection(url, timeout=10, suppress_origin=True)
    _frames_until(ws, "0{")  # Engine.IO open
    ws.send("1")  # Engine.IO close: the server's side of the websocket ends here
    time.sleep(0.3)
    ws.send_close()  # then the client's closing handshake, as python-socketio's client sends it
    after = b""
    while chunk := ws.sock.recv(4096):  # until the server closes the connection (EOF)
        after += chunk
    assert b"HTTP/1." not in after, after
    ws.shutdown()


def _a_join_with_the_connect_is_answered_before_the_connection_is_confirmed(url: str, data) -> None:
    """The `joined` message comes ahead of the Socket.IO CONNECT packet (docs/protocol.md): the client
    libraries hold it until their `connect` event. A script that reads frames must expect it there."""
    ws = websocket.create_connection(url, timeout=10, suppress_origin=True)
    _frames_until(ws, "0{")
    ws.send("40" + json.dumps({"api_token": data.api_token, "join": {"meeting_id": data.meeting_id}}))
    before = []
    while not (frame := ws.recv()).startswith("40"):
        if frame == "2":
            ws.send("3")
        else:
            before.append(frame)
    [answer] = [json.loads(frame[2:])[1] for frame in before if frame.startswith('42["joined"')]
    assert answer["ok"] is True and answer["mode"] == "snapshot", answer
    rejoin = {"meeting_id": data.meeting_id, "last_seq": answer["snapshot"]["last_seq"]}
    ws.send('421["join",' + json.dumps(rejoin) + "]")
    assert json.loads(_frames_until(ws, "431")[3:])[0]["mode"] == "replay"  # then a connection like any
    ws.close()


def test_malformed_frames_are_dropped_without_a_traceback(tmp_path):
    database_url = scratch_database_url(tmp_path, "raw_frames")
    data = prepare_reference(database_url)
    server = ServerProcess(database_url, tmp_path, name="raw").start()
    try:
        url = server.base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        ws = websocket.create_connection(url, timeout=10, suppress_origin=True)  # as a script would
        _frames_until(ws, "0{")  # Engine.IO open
        ws.send("40" + json.dumps({"api_token": data.api_token}))
        _frames_until(ws, "40")  # Socket.IO connected
        for frame in MALFORMED:
            ws.send(frame)
        ws.send('421["join",' + json.dumps({"meeting_id": data.meeting_id}) + "]")
        ack = json.loads(_frames_until(ws, "431")[3:])
        assert ack[0]["ok"] is True  # the same connection still works
        # A megabyte: a clear refusal in the acknowledgement, unread; or, with none asked, dropped.
        huge = json.dumps({"meeting_id": data.meeting_id, "text": "x" * 1_000_000})
        ws.send('422["decision.record",' + huge + "]")
        refusal = json.loads(_frames_until(ws, "432")[3:])[0]
        assert refusal["ok"] is False and refusal["error"]["code"] == "payload_too_large"
        assert "256" in refusal["error"]["message"]
        ws.send('42["decision.record",' + huge + "]")
        ws.send('423["join",' + json.dumps({"meeting_id": data.meeting_id}) + "]")
        assert json.loads(_frames_until(ws, "433")[3:])[0]["ok"] is True
        ws.close()
        for _attempt in range(3):
            _the_connection_ends_with_its_websocket(url)
        _a_join_with_the_connect_is_answered_before_the_connection_is_confirmed(url, data)
    finally:
        server.stop()
    log = server.log_path.read_text()
    assert "Invalid HTTP method" not in log and "Expected GET method" not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert log.count("dropped a malformed packet") >= 4, log[-3000:]
    assert log.count("refused a packet of") == 2, log[-3000:]

