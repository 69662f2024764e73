"""The store on Cloudflare: the `Database` port over a D1 binding.

`d1.D1Database` is what the Worker and the Durable Objects use; `testing.FakeD1` reproduces the
binding's JS shapes over real SQLite so the store's own test suite runs against the adapter on
CPython. Nothing here imports `js`, `pyodide` or `workers`: bindings are passed in and only
duck-typed.
"""
