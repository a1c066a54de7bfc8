"""Which cloud a command talks to: AWS (or any endpoint), or the embedded emulator.

``--cloud embedded`` without an endpoint starts the emulator in this process on loopback;
it lives as long as the command, so commands that must share one emulated cloud use a
standalone ``goldenpath emulator`` and ``--aws-endpoint-url``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from reconciler.cloud import AccessKey, AwsCloud, CloudSettings

# The emulator accepts any credentials; these are the conventional test ones.
EMULATOR_KEY = AccessKey("testing", "testing")


@contextmanager
def open_cloud(args: argparse.Namespace) -> Iterator[AwsCloud]:
    endpoint = getattr(args, "aws_endpoint_url", None)
    if args.cloud == "embedded" and not endpoint:
        from emulator import start_embedded

        with start_embedded() as running:
            yield AwsCloud(CloudSettings(endpoint_url=running.url, access_key=EMULATOR_KEY))
        return
    key = EMULATOR_KEY if args.cloud == "embedded" else None
    yield AwsCloud(CloudSettings(endpoint_url=endpoint, access_key=key))
