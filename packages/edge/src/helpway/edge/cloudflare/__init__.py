"""The edge on Cloudflare: the Worker and its Durable Objects, composed from the cloudflare
adapters of the other packages.

- `entry/worker.py` is the Worker's main module and the only one that imports the Python
  Workers SDK (`workers`) and `js`: the `Default` entrypoint and the Durable Object classes,
  each a thin shell over the runtime-free code here.
- `routing` decides what a request is: a conversation socket (→ its `ConversationRoom`
  object), an inbox socket (→ its site's `InboxHub` object) or HTTP (→ the same Starlette app as
  locally, through the SDK's ASGI bridge; `app` builds it on D1, Vectorize and Workers AI).
- `conversation_object` is the conversation object's logic: the socket door (decoding, the
  join handshake, authentication against D1) in front of the rooms' Durable Object host.
- `inbox_object` is a site's inbox hub object's logic: agents' inbox sockets and the fan-out of
  conversation changes to them.
- The `RateLimiter` object (one per rate-limit key) is the rooms' `BucketObject`; the
  conversation object charges visitors' messages to it, the app's login route failed logins
  (so every isolate counts against the same buckets).
- `settings` reads the Worker's `[vars]`; `assets` writes the static-asset rules (`_headers`,
  `_redirects`) into the widget build that `[assets]` uploads.
"""
