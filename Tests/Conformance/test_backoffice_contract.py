"""schemathesis (from PyPI) holds the reference back office and docs/backoffice-api.yaml together.

Every operation of contract v1 gets schemathesis' examples, coverage and fuzzing phases with every check it
has: schema-valid requests must be accepted (positive_data_acceptance), schema-invalid ones refused
(negative_data_rejection), undeclared methods answered 405 with Allow (unsupported_method), and every answer
must be declared, with its content type, headers and body schema. Hypothesis is derandomized and bounded, so
each run sends the same requests.
"""

import itertools
import re
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "backoffice-api.yaml"
# The reference back office's bearer token (docs/emulators.md, EmulatorIdentities.backOfficeCredentials).
CREDENTIALS = {"Authorization": "Bearer backoffice-token"}
# A numbered prefix makes each valid Idempotency-Key new, so that no document is answered 409 for a key an earlier
# case used, and the key stays valid. An invalid key is refused before anything is kept, so it is sent as drawn.
KEY_NUMBERS = itertools.count(1)
VALID_KEY = re.compile(r"[!-~]{1,200}")


def sent_as_utf8(value):
    """A header value whose characters requests sends as UTF-8 bytes rather than Latin-1.

    The emulator's HTTP server (FlyingFox) closes a connection whose header lines are not UTF-8 before the back
    office sees them; sent as UTF-8, a non-ASCII value reaches it intact and is judged there.
    """
    return value.encode("utf-8").decode("latin-1") if isinstance(value, str) and not value.isascii() else value


# The order the contract's example for GET /orders/{id} names, with one event of every type on the feed, so that
# those answers are judged by their schemas too. Sent before any generated case, it is the back office's first.
EXAMPLE_ORDER_ID = "BO-000001"
EXAMPLE_ORDER = {
    "orderNumber": "SO-01001", "dynamics": {"salesOrderId": "d1000000-0000-0000-0000-000000001001"},
    "submittedAt": "2026-11-21T09:01:00Z", "customer": {"name": "Northwind Traders"}, "currency": "USD",
    "lines": [
        {"lineNumber": 1, "product": {"number": "P-1001"}, "quantity": 2, "unitPrice": 450.00},
        {"lineNumber": 2, "product": None, "description": "Installation", "quantity": 1, "unitPrice": 120.00},
    ],
}
EXAMPLE_EVENTS = [
    {"type": "accepted"}, {"type": "linesChanged", "discountPercent": 5}, {"type": "shipped", "complete": False},
    {"type": "invoiced"}, {"type": "canceled", "reason": "replaced by another order"},
]


def seed_example_order(base_url):
    sent = requests.post(
        f"{base_url}/orders", json=EXAMPLE_ORDER, headers={**CREDENTIALS, "Idempotency-Key": "example-order"}, timeout=10)
    assert sent.status_code == 201 and sent.json()["id"] == EXAMPLE_ORDER_ID, sent.text
    for event in EXAMPLE_EVENTS:
        played = requests.post(
            f"{base_url}/_admin/orders/{EXAMPLE_ORDER_ID}/events", json=event, headers=CREDENTIALS, timeout=10)
        assert played.status_code == 201, played.text


@pytest.fixture(scope="session")
def backoffice_contract(emulator):
    seed_example_order(emulator["backoffice"])
    contract = schemathesis.openapi.from_path(CONTRACT)
    contract.config.update(base_url=emulator["backoffice"])
    # Every case is sent with the token (CREDENTIALS), which would replace a generated Authorization unseen;
    # ignored_auth sends requests of its own without credentials and with wrong ones.
    contract.config.generation.update(with_security_parameters=False)
    return contract


contract = schemathesis.pytest.from_fixture("backoffice_contract")


@contract.parametrize()
@settings(derandomize=True, database=None, max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_reference_back_office_keeps_the_contract(case):
    if case.headers:
        key = case.headers.get("Idempotency-Key")
        if isinstance(key, str) and VALID_KEY.fullmatch(key):
            case.headers["Idempotency-Key"] = f"{next(KEY_NUMBERS)}:{key}"[:200]
        case.headers = {name: sent_as_utf8(value) for name, value in case.headers.items()}
    case.call_and_validate(headers=CREDENTIALS)
