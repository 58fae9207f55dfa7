"""python-odata, an OData v4 client that builds its classes from $metadata, against sop-emulator.

It reads the service's CSDL document (GET $metadata) with no knowledge of Dataverse, so it judges whether the
emulator's metadata describes what the emulator serves.
"""

from decimal import Decimal

import requests
from odata import ODataService


def service(emulator):
    session = requests.Session()
    session.headers["Authorization"] = "Bearer sopd-app-token"
    return ODataService(emulator["dataverse"] + "/api/data/v9.2/", session=session, reflect_entities=True, quiet_progress=True)


def test_every_entity_set_of_the_service_document_is_described(emulator):
    root = emulator["dataverse"] + "/api/data/v9.2/"
    listed = requests.get(root, headers={"Authorization": "Bearer sopd-app-token"}).json()
    names = {entry["name"] for entry in listed["value"]}
    assert {"salesorders", "salesorderdetails", "accounts", "invoices"} <= names
    assert set(service(emulator).entities.keys()) == names


def test_a_typed_query_built_from_the_metadata(emulator):
    odata = service(emulator)
    orders = odata.entities["salesorders"]
    found = odata.query(orders).filter(orders.statecode == 1).order_by(orders.ordernumber.asc()).limit(3)
    rows = list(found)
    assert [row.ordernumber for row in rows] == ["SO-01001", "SO-01002", "SO-01003"]
    assert all(isinstance(row.totalamount, Decimal) for row in rows)


def test_the_sales_actions_are_declared(emulator):
    assert {"FulfillSalesOrder", "CancelSalesOrder", "ConvertSalesOrderToInvoice"} <= set(service(emulator).actions.keys())
