"""Simulated resources for the types moto 5.2.5 cannot deploy (see ``catalog``)."""
