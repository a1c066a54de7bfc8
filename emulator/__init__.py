"""The embedded AWS emulator: moto's server plus Goldenpath's compatibility layer."""
