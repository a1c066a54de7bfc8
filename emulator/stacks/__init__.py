"""The stack lifecycle the emulator runs on top of moto's CloudFormation engine."""
