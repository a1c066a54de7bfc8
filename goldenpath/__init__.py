"""The composition root: the ``goldenpath`` command wires reconciler, webhooks and emulator."""
