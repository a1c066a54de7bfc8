"""The HTTP face of Goldenpath: webhook receiver, JSON API and web page (FastAPI)."""
