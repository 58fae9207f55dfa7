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

    /// Parentheses or `not` nested 50,000 deep overflowed the stack in the recursive descent; nesting
    /// stops at `FilterParser.maximumNesting` with a query error.
    @Test func refusesNestingDeeperThanTheLimit() throws {
        let limit = FilterParser.maximumNesting
        let hostile = [
            String(repeating: "(", count: 50_000), String(repeating: "not ", count: 50_000) + "statecode eq 1",
        ]
        for text in hostile {
            let error = #expect(throws: QueryError.self) { try FilterParser.parse(text) }
            #expect(error?.message.contains("deeper than \(limit)") == true)
        }
        let deepest =
            String(repeating: "not (", count: limit / 2) + "statecode eq 1" + String(repeating: ")", count: limit / 2)
        #expect(try FilterParser.parse(deepest).matches(["statecode": 1], in: salesOrder))
        let tooDeep = "(" + deepest + ")"
        #expect(throws: QueryError.self) { try FilterParser.parse(tooDeep) }
    }

    /// 40,000 conditions joined by `and` parsed, and then overflowed the stack in `validate` (the tree is as deep
    /// as the chain is long); an expression holds at most `FilterParser.maximumConditions`.
    @Test func refusesMoreConditionsThanTheLimit() throws {
        func chain(_ count: Int) -> String {
            Array(repeating: "statecode eq 1", count: count).joined(separator: " and ")
        }
        let error = #expect(throws: QueryError.self) { try FilterParser.parse(chain(40_000)) }
        #expect(error?.message.contains("more than \(FilterParser.maximumConditions) conditions") == true)
        let longest = try FilterParser.parse(chain(FilterParser.maximumConditions))
        try longest.validate(against: salesOrder)
        #expect(longest.matches(["statecode": 1], in: salesOrder))
        #expect(throws: QueryError.self) { try FilterParser.parse(chain(FilterParser.maximumConditions + 1)) }
    }

    /// `$expand` nested 5,000 deep in `$expand` overflowed the stack; nesting stops at
    /// `QueryOptions.maximumExpandNesting` levels (`$expand=a($expand=b)` is two).
    @Test func refusesExpandNestedDeeperThanTheLimit() throws {
        let limit = QueryOptions.maximumExpandNesting
        func expand(levels: Int) -> String {
            String(repeating: "order_details($expand=", count: levels - 1) + "productid"
                + String(repeating: ")", count: levels - 1)
        }
        let error = #expect(throws: QueryError.self) { try QueryOptions.parse([("$expand", expand(levels: 5_000))]) }
        #expect(error?.message.contains("deeper than \(limit) levels") == true)
        var options = try QueryOptions.parse([("$expand", expand(levels: limit))])
        for _ in 1..<limit { options = try #require(options.expand.first).options }
        #expect(options.expand.map(\.navigation) == ["productid"])
        #expect(throws: QueryError.self) { try QueryOptions.parse([("$expand", expand(levels: limit + 1))]) }
    }
}
