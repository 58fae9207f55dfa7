"""Starts sop-emulator over TLS with demo data and hands Microsoft's Dataverse SDK a client for it, and
schemathesis the reference back office (plain HTTP) with its contract.

The SDK refuses http:// and trusts only what requests trusts, so the emulator makes a self-signed
certificate (--tls-self-signed) and REQUESTS_CA_BUNDLE names it. SOP_EMULATOR is the built binary.
"""

import os
import subprocess
import time

import pytest
from azure.core.credentials import AccessToken
from PowerPlatform.Dataverse import DataverseClient
from PowerPlatform.Dataverse.core.config import DataverseConfig


class EmulatorToken:
    """A TokenCredential holding the emulator's token for sopd's application user (docs/emulators.md)."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken("sopd-app-token", int(time.time()) + 3600)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    process = subprocess.Popen(
        [os.environ["SOP_EMULATOR"], "--seed-demo-data", "--tls-self-signed", str(folder)],
        stdout=subprocess.PIPE, text=True)
    # dataverse:, backoffice:, fabrikam:, businesscentral:, then ca: (the certificate to trust).
    lines = [process.stdout.readline().strip() for _ in range(5)]
    urls = dict(line.split(": ", 1) for line in lines)
    os.environ["REQUESTS_CA_BUNDLE"] = urls["ca"]
    os.environ["CURL_CA_BUNDLE"] = urls["ca"]
    yield urls
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture()
def client(emulator):
    with DataverseClient(emulator["dataverse"], EmulatorToken(), DataverseConfig(http_retries=1)) as client:
        yield client
