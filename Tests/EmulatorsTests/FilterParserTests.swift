@testable import Emulators
import Testing

@Suite struct FilterParserTests {
    private let salesOrder = DataverseSchema.sales.entities["salesorder"]!

    @Test func parsesPrecedenceAndLiterals() throws {
        let expression = try FilterParser.parse(
            "statecode eq 1 and lastbackofficesubmit eq null or not (name eq 'O''Brien') and _customerid_value eq d1000000-0000-0000-0000-000000001001"
        )
        let expected = FilterExpression.or(
            .and(.compare(property: "statecode", .eq, .number("1")), .compare(property: "lastbackofficesubmit", .eq, .null)),
            .and(
                .not(.compare(property: "name", .eq, .string("O'Brien"))),
                .compare(property: "_customerid_value", .eq, .guid("d1000000-0000-0000-0000-000000001001"))))
        #expect(expression == expected)
    }

    @Test func evaluatesAgainstRows() throws {
        let row: [String: JSONValue] = [
            "statecode": 1, "name": "Northwind order", "totalamount": .number("120.50"),
            "submitdate": "2026-11-21T09:00:00Z",
        ]
        func matches(_ text: String) throws -> Bool { try FilterParser.parse(text).matches(row, in: salesOrder) }
        #expect(try matches("statecode eq 1 and lastbackofficesubmit eq null"))
        #expect(try matches("totalamount gt 100.5 and totalamount le 120.50"))
        #expect(try matches("contains(name,'wind') and startswith(name,'north')"))
        #expect(try matches("submitdate ge 2026-11-21 and submitdate lt 2026-11-22T00:00:00Z"))
        #expect(try !matches("statecode ne 1 or not (statecode eq 1)"))
        #expect(try !matches("lastbackofficesubmit ne null"))
    }

    @Test(arguments: ["statecode eq", "statecode eq 1 and", "(statecode eq 1", "statecode eq 'x", "statecode xx 1", "contains(name)"])
    func refusesMalformedFilters(_ text: String) {
        #expect(throws: QueryError.self) { try FilterParser.parse(text) }
    }

    @Test func refusesUnknownColumnsAndWrongTypes() throws {
        let unknown = #expect(throws: QueryError.self) { try FilterParser.parse("nosuchcolumn eq 1").validate(against: salesOrder) }
        #expect(unknown?.message == "Could not find a property named 'nosuchcolumn' on type 'Microsoft.Dynamics.CRM.salesorder'.")
        let mismatch = #expect(throws: QueryError.self) { try FilterParser.parse("statecode eq 'one'").validate(against: salesOrder) }
        #expect(mismatch?.message.contains("incompatible types") == true)
    }
}
