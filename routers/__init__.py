"""HTTP and WebSocket adapters: parse, call a processing function, map errors to HTTP."""
