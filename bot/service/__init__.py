"""The chat service and what runs around it: start-up, publishing without restart, purging."""
