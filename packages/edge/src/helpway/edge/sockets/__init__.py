"""WebSocket endpoints: conversation sockets into rooms, inbox sockets onto the inbox hub."""
