"""Web endpoints churnguard serves; the ASGI app mounts their routes."""
