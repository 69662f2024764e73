"""Rooms on Cloudflare: one Durable Object per conversation.

`storage.DurableRoomStorage` is the `RoomStorage` port on the object's own SQLite
(`ctx.storage.sql`); `host.DurableRoomHost` runs the pure `Room` inside the object, on
hibernating WebSockets and the object's alarm. `ratelimit` holds the send limits across
rooms: the limiter object's bucket and the host's client of those objects. `testing` holds
doubles of the Durable Object state and WebSocket with their JS shapes. Nothing here imports
`js`, `pyodide` or `workers`: the runtime objects are passed in and duck-typed, so all of it
runs on CPython too.
"""
