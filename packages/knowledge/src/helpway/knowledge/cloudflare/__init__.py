"""The knowledge base on Cloudflare: Vectorize for vectors, Workers AI for embeddings and answers.

`vectorize.VectorizeIndex` implements the `VectorIndex` port, `workers_ai.WorkersAiEmbedder` the
`Embedder` port (`@cf/baai/bge-m3`, 1024 dims) and `workers_ai.WorkersAiGenerator` the
`Generator` port (a chat model streamed over server-sent events). `testing` holds doubles of the
two bindings with their recorded JS shapes. Bindings are passed in and duck-typed: nothing here
imports `js`, `pyodide` or `workers`.
"""
