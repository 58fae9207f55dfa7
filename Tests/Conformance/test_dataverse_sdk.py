"""Microsoft's Python SDK for Dataverse (PowerPlatform-Dataverse-Client), unpatched, against sop-emulator.

The emulator's demo data (docs/emulators.md): 4 accounts, 20 orders of which 10 are Submitted
(SO-01001 to SO-01010, SO-01010 without lines).
"""

import pytest
from PowerPlatform.Dataverse import col

SUBMITTED = [f"SO-{n:05d}" for n in range(1001, 1011)]


def test_table_metadata_lookup(client):
    info = client.tables.get("SalesOrder")
    assert info is not None
    assert info.logical_name == "salesorder"
    assert info.schema_name == "SalesOrder"
    assert info.entity_set_name == "salesorders"
    assert info.primary_id_attribute == "salesorderid"
    assert info.primary_name_attribute == "name"
    assert info.metadata_id
    assert client.tables.get("nosuchtable") is None


def test_paged_query_of_submitted_orders_with_lines_and_formatted_values(client):
    pages = list(client.records.list_pages(
        "salesorder", select=["ordernumber", "statecode", "totalamount"], filter="statecode eq 1",
        orderby=["ordernumber asc"], expand=["order_details($select=lineitemnumber,quantity)"], page_size=4,
        include_annotations="OData.Community.Display.V1.FormattedValue"))
    assert [len(page) for page in pages] == [4, 4, 2]
    orders = [record for page in pages for record in page]
    assert [record["ordernumber"] for record in orders] == SUBMITTED
    assert all(record["statecode@OData.Community.Display.V1.FormattedValue"] == "Submitted" for record in orders)
    assert all(record["totalamount@OData.Community.Display.V1.FormattedValue"].startswith("$") for record in orders[:9])
    assert [len(record["order_details"]) for record in orders][:3] == [2, 1, 2]
    assert orders[-1]["order_details"] == []


def test_get_by_id(client):
    first = client.records.list("salesorder", select=["salesorderid"], filter="ordernumber eq 'SO-01003'")[0]
    record = client.records.retrieve("salesorder", first["salesorderid"], select=["ordernumber", "name"])
    assert record["ordernumber"] == "SO-01003"
    assert record.etag.startswith('W/"')
    assert client.records.retrieve("salesorder", "00000000-0000-0000-0000-000000000000") is None


def test_account_create_update_delete(client):
    account_id = client.records.create("account", {"name": "Contoso Pharmaceuticals", "accountnumber": "C-2001"})
    client.records.update("account", account_id, {"name": "Contoso Pharma", "telephone1": "555-0100"})
    record = client.records.retrieve("account", account_id, select=["name", "telephone1", "accountnumber"])
    assert (record["name"], record["telephone1"], record["accountnumber"]) == ("Contoso Pharma", "555-0100", "C-2001")
    client.records.delete("account", account_id)
    assert client.records.retrieve("account", account_id) is None


def test_accounts_created_updated_and_deleted_in_bulk(client):
    ids = client.records.create("account", [{"name": "Bulk A"}, {"name": "Bulk B"}, {"name": "Bulk C"}])
    assert len(ids) == 3
    client.records.update("account", ids, {"telephone1": "555-0199"})
    client.records.update("account", ids[:2], [{"name": "Bulk A2"}, {"name": "Bulk B2"}])
    rows = client.records.list("account", select=["name", "telephone1"], filter="startswith(name, 'Bulk')",
                               orderby=["name asc"])
    assert [(row["name"], row["telephone1"]) for row in rows] == [
        ("Bulk A2", "555-0199"), ("Bulk B2", "555-0199"), ("Bulk C", "555-0199")]
    client.records.upsert("account", [
        {"alternate_key": {"accountnumber": "U-1"}, "record": {"name": "Upserted 1"}},
        {"alternate_key": {"accountnumber": "A-1001"}, "record": {"telephone1": "555-0111"}}])
    assert client.records.list("account", select=["name"], filter="accountnumber eq 'U-1'")[0]["name"] == "Upserted 1"
    northwind = client.records.list("account", select=["name", "telephone1"], filter="accountnumber eq 'A-1001'")
    assert [(row["name"], row["telephone1"]) for row in northwind] == [("Northwind Traders", "555-0111")]
    client.records.delete("account", ids, use_bulk_delete=False)
    assert len(client.records.list("account", select=["name"], filter="startswith(name, 'Bulk')")) == 0


def test_in_queries(client):
    wanted = ["SO-01001", "SO-01003", "SO-01019"]
    rows = client.records.list("salesorder", select=["ordernumber"], filter=col("ordernumber").in_(wanted),
                               orderby=["ordernumber asc"])
    assert [row["ordernumber"] for row in rows] == wanted
    by_hand = client.records.list(
        "salesorder", select=["ordernumber"], orderby=["ordernumber asc"],
        filter="statecode eq 1 and Microsoft.Dynamics.CRM.NotIn(PropertyName='ordernumber',PropertyValues=['SO-01001','SO-01002'])")
    assert [row["ordernumber"] for row in by_hand] == SUBMITTED[2:]


def test_fetchxml_query_pages_with_paging_cookies(client):
    xml = ('<fetch count="3"><entity name="salesorder"><attribute name="ordernumber"/>'
           '<filter><condition attribute="statecode" operator="eq" value="1"/></filter>'
           '<order attribute="ordernumber"/></entity></fetch>')
    pages = list(client.query.fetchxml(xml).execute_pages())
    assert [len(page) for page in pages] == [3, 3, 3, 1]
    assert [record["ordernumber"] for page in pages for record in page] == SUBMITTED


def test_batch_with_a_changeset(client):
    existing = client.records.list("account", select=["accountid"], filter="accountnumber eq 'A-1002'")[0]["accountid"]
    batch = client.batch.new()
    batch.records.create("account", {"name": "Batch A"})
    batch.records.retrieve("account", existing, select=["name"])
    batch.records.list("account", select=["name"], filter="name eq 'Fabrikam Inc.'")
    with batch.changeset() as changeset:
        reference = changeset.records.create("account", {"name": "Batch B"})
        changeset.records.update("account", reference, {"telephone1": "555-0142"})
    result = batch.execute()
    assert not result.has_errors, [(r.status_code, r.error_message) for r in result.responses]
    assert [r.status_code for r in result.responses] == [204, 200, 200, 204, 204]
    assert result.responses[1].data["name"] == "Fabrikam Inc."
    assert [row["name"] for row in result.responses[2].data["value"]] == ["Fabrikam Inc."]
    assert len(result.entity_ids) >= 3
    batch_b = client.records.list("account", select=["telephone1"], filter="name eq 'Batch B'")
    assert [row["telephone1"] for row in batch_b] == ["555-0142"]
