"""Lectern's domain logic: no FastAPI imports here; routers adapt it to HTTP."""
