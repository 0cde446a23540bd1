"""SafeBot: online-safety help for children (transports, service, engine, content, storage)."""
