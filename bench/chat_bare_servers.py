"""Baseline servers for bench/chat_fanout.py: nothing but websockets, no Django, no channel layer.

* `application`: a bare ASGI websocket echo, served by daphne exactly like support.asgi
  (`taskset -c 0 .venv/bin/daphne -b 127.0.0.1 -p PORT bench.chat_bare_servers:application`);
  a frame starting "x3|" comes back three times.
* `python bench/chat_bare_servers.py PORT`: a bare `websockets` echo server (same interpreter),
  the memory baseline for holding idle sockets.
"""
import asyncio
import sys


async def application(scope, receive, send):
    if scope["type"] != "websocket":
        if scope["type"] == "http":
            await receive()
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"websocket echo only"})
        return
    while True:
        event = await receive()
        kind = event["type"]
        if kind == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif kind == "websocket.receive":
            if event.get("text") is not None:
                # "x3|...": three copies back, the frames a chat message costs the server (ack, agent, sender's copy).
                for _ in range(3 if event["text"].startswith("x3|") else 1):
                    await send({"type": "websocket.send", "text": event["text"]})
            else:
                await send({"type": "websocket.send", "bytes": event.get("bytes") or b""})
        elif kind == "websocket.disconnect":
            return


async def _serve(port: int) -> None:
    from websockets.asyncio.server import serve

    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", port, compression=None, ping_interval=None, max_queue=64) as server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1])))
