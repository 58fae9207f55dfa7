import Foundation
import JSON

/// The two documents that describe the Web API ("Web API service documents",
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/web-api-service-documents): the service
/// document (`GET /api/data/v9.2/`, every entity set) and the CSDL metadata document (`GET /api/data/v9.2/$metadata`,
/// the emulated tables, their keys, properties and navigation properties, and the Sales actions). Properties are
/// typed as "Web API EntityTypes" documents (money and decimals `Edm.Decimal`, choices `Edm.Int32`, a lookup as a
/// navigation property and its `_<name>_value`). The `edmx:Edmx` root and the container name `System` are what
/// public metadata dumps show; Microsoft's pages quote only the `Schema` element (docs/dataverse-choices.md).
struct ServiceDocuments {
    let schema: DataverseSchema
    /// The API root the links name, such as `https://contoso.crm.example/api/data/v9.2`.
    let root: String

    /// The service document.
    var serviceDocument: JSONValue {
        let sets = schema.entities.values.map(\.entitySetName).sorted()
        return [
            "@odata.context": .string("\(root)/$metadata"),
            "value": .array(sets.map { ["name": .string($0), "kind": "EntitySet", "url": .string($0)] }),
        ]
    }

    /// The CSDL metadata document.
    var metadata: String {
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
            <edmx:DataServices>
            <Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">
            <EntityType Name="crmbaseentity" Abstract="true"/>
            <EntityType Name="activitypointer" BaseType="mscrm.crmbaseentity"><Key><PropertyRef Name="activityid"/></Key>\
            <Property Name="activityid" Type="Edm.Guid"/><Property Name="subject" Type="Edm.String" Unicode="false"/></EntityType>
            <EntityType Name="orderclose" BaseType="mscrm.activitypointer"/>

            """
        let entities = schema.entities.values.sorted { $0.logicalName < $1.logicalName }
        for entity in entities { xml += entityType(entity) }
        xml += """
            <Action Name="FulfillSalesOrder" IsBound="true"><Parameter Name="entityset" Type="Collection(mscrm.salesorder)" Nullable="false"/>\
            <Parameter Name="OrderClose" Type="mscrm.orderclose" Nullable="false"/><Parameter Name="Status" Type="Edm.Int32" Nullable="false"/></Action>
            <Action Name="CancelSalesOrder"><Parameter Name="OrderClose" Type="mscrm.crmbaseentity" Nullable="false"/>\
            <Parameter Name="Status" Type="Edm.Int32" Nullable="false"/></Action>
            <Action Name="ConvertSalesOrderToInvoice"><Parameter Name="SalesOrderId" Type="Edm.Guid" Nullable="false"/>\
            <Parameter Name="ColumnSet" Type="mscrm.ColumnSet"/><ReturnType Type="mscrm.invoice" Nullable="false"/></Action>
            <Action Name="CalculatePrice"><Parameter Name="Target" Type="mscrm.crmbaseentity" Nullable="false"/></Action>
            <Action Name="RecalculatePrice"><Parameter Name="entityLogicalName" Type="Edm.String" Nullable="false" Unicode="false"/>\
            <Parameter Name="entityId" Type="Edm.Guid" Nullable="false"/></Action>
            <ComplexType Name="ColumnSet"><Property Name="AllColumns" Type="Edm.Boolean" Nullable="false"/>\
            <Property Name="Columns" Type="Collection(Edm.String)" Unicode="false"/></ComplexType>
            <ComplexType Name="WhoAmIResponse"><Property Name="BusinessUnitId" Type="Edm.Guid" Nullable="false"/>\
            <Property Name="UserId" Type="Edm.Guid" Nullable="false"/><Property Name="OrganizationId" Type="Edm.Guid" Nullable="false"/></ComplexType>
            <Function Name="WhoAmI"><ReturnType Type="mscrm.WhoAmIResponse" Nullable="false"/></Function>
            <EntityContainer Name="System">

            """
        for entity in entities {
            xml += "<EntitySet Name=\"\(entity.entitySetName)\" EntityType=\"Microsoft.Dynamics.CRM.\(entity.logicalName)\"/>\n"
        }
        for action in ["CancelSalesOrder", "ConvertSalesOrderToInvoice", "CalculatePrice", "RecalculatePrice"] {
            xml += "<ActionImport Name=\"\(action)\" Action=\"Microsoft.Dynamics.CRM.\(action)\"/>\n"
        }
        xml += "<FunctionImport Name=\"WhoAmI\" Function=\"Microsoft.Dynamics.CRM.WhoAmI\"/>\n"
        return xml + "</EntityContainer>\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n"
    }

    private func entityType(_ entity: EntityDefinition) -> String {
        var xml = "<EntityType Name=\"\(entity.logicalName)\" BaseType=\"mscrm.crmbaseentity\">"
        xml += "<Key><PropertyRef Name=\"\(entity.primaryIdAttribute)\"/></Key>"
        for name in entity.propertyNames.sorted() {
            let type = entity.propertyType(name).map(\.edmName) ?? "Edm.String"
            xml += "<Property Name=\"\(name)\" Type=\"\(type)\"\(type == "Edm.String" ? " Unicode=\"false\"" : "")/>"
        }
        for (name, navigation) in entity.singleNavigations.sorted(by: { $0.key < $1.key }) {
            guard let target = schema.entities[navigation.target] else { continue }
            xml += "<NavigationProperty Name=\"\(name)\" Type=\"mscrm.\(target.logicalName)\">"
            xml += "<ReferentialConstraint Property=\"_\(navigation.lookup)_value\" ReferencedProperty=\"\(target.primaryIdAttribute)\"/>"
            xml += "</NavigationProperty>"
        }
        for (name, collection) in entity.collectionNavigations.sorted(by: { $0.key < $1.key }) {
            xml += "<NavigationProperty Name=\"\(name)\" Type=\"Collection(mscrm.\(collection.target))\"/>"
        }
        return xml + "</EntityType>\n"
    }
}
