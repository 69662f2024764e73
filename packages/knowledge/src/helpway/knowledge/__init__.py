"""Helpway knowledge base: ingest, embeddings, vector and lexical search, answers."""
