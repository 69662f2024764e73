"""The local edge runtime: the app on uvicorn, SQLite for D1 and room storage, a data folder."""
