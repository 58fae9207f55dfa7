import Emulators
import HTTP
import JSON
import SopdTestSupport
import Testing

/// The reference back office holds to `docs/backoffice-api.yaml`: every rule the contract states, and no other.
/// `make conformance` checks the same with schemathesis; these tests name the rules one by one.
@Suite struct BackOfficeEmulatorTests {
    private static let credentials: HTTPHeaders = ["Authorization": "Bearer backoffice-token"]

    private static let document: JSONValue = [
        "orderNumber": "SO-09001", "customer": ["name": "Northwind Traders"], "currency": "USD",
        "lines": [["lineNumber": 1, "quantity": 2, "unitPrice": .number("450.00"), "product": ["number": "P-1001"]]],
    ]

    private func send(
        _ fixture: SyncFixture, _ method: HTTPMethod, _ path: String, body: JSONValue? = nil,
        headers: HTTPHeaders = credentials
    ) async throws -> HTTPResponse {
        var all = headers
        if body != nil { all["Content-Type"] = "application/json" }
        return try await HTTPClient().response(
            for: HTTPRequest(
                method: method, url: "\(fixture.suite.backOfficeServer.baseURL)\(path)", headers: all,
                body: body?.serialized()))
    }

    /// Sends `document` under a new key and returns the status and the reasons of a 422.
    private func submit(_ fixture: SyncFixture, _ document: JSONValue, key: String) async throws -> (Int, [String]) {
        var headers = Self.credentials
        headers["Idempotency-Key"] = key
        let response = try await send(fixture, .post, "/orders", body: document, headers: headers)
        let reasons =
            (try? JSONParser.parse(response.body))?["error"]?["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return (response.status, reasons)
    }

    /// `document` with `change` applied to its members.
    private static func document(_ change: (inout [String: JSONValue]) -> Void) -> JSONValue {
        var members = document.objectValue!
        change(&members)
        return .object(members)
    }

    /// `document` with its one line's members changed by `change`.
    private static func line(_ change: (inout [String: JSONValue]) -> Void) -> JSONValue {
        document { members in
            var line = members["lines"]!.arrayValue![0].objectValue!
            change(&line)
            members["lines"] = [.object(line)]
        }
    }

    @Test func anUndeclaredMethodOnADeclaredPathIs405WithAllow() async throws {
        let fixture = try await SyncFixture()
        let cases: [(HTTPMethod, String, allow: String)] = [
            (.get, "/orders", "POST"), (.delete, "/orders", "POST"), (.post, "/changes", "GET"),
            (.patch, "/changes?after=0", "GET"), (.delete, "/orders/BO-000001", "GET"),
            (.post, "/orders/BO-000001", "GET"),
            (.get, "/_admin/faults", "POST"), (.delete, "/_admin/orders", "GET"),
            (.get, "/_admin/orders/BO-000001/events", "POST"),
        ]
        for (method, path, allow) in cases {
            let response = try await send(fixture, method, path)
            #expect(response.status == 405, "\(method) \(path)")
            #expect(response.headers["Allow"] == allow, "\(method) \(path)")
            let body = try JSONParser.parse(response.body)
            #expect(body["error"]?["code"] == "method_not_allowed", "\(method) \(path)")
            #expect(body["error"]?["message"]?.stringValue?.contains("it takes \(allow)") == true, "\(method) \(path)")
        }
        #expect(try await send(fixture, .get, "/nowhere").status == 404)
        #expect(try await send(fixture, .delete, "/nowhere").status == 404)
        let anonymous = try await send(fixture, .delete, "/orders", headers: [:])
        #expect(anonymous.status == 401)
        #expect(anonymous.headers["Allow"] == nil)
        await fixture.suite.stop()
    }

    @Test func aLineNeedsAQuantityAbove0HoweverSmallAndAProductOrADescription() async throws {
        let fixture = try await SyncFixture()
        let tiny = Self.line { $0["quantity"] = .number("5e-324") }
        #expect(try await submit(fixture, tiny, key: "tiny").0 == 201)
        let writeIn = Self.line {
            $0["product"] = .null
            $0["description"] = "Installation"
        }
        #expect(try await submit(fixture, writeIn, key: "write-in").0 == 201)
        let neither = Self.line {
            $0["product"] = .null
            $0["description"] = ""
        }
        #expect(
            try await submit(fixture, neither, key: "neither") == (
                422, ["lines[0] has neither a product nor a description"]
            ))
        for (quantity, key) in [("0", "zero"), ("-0.0", "minus-zero"), ("-1e-3", "negative"), ("0e5", "zero-exponent")]
        {
            let refused = Self.line { $0["quantity"] = .number(quantity) }
            #expect(
                try await submit(fixture, refused, key: key) == (422, ["lines[0].quantity must be greater than 0"]),
                "\(quantity)")
        }
        await fixture.suite.stop()
    }

    @Test func everyMemberOfTheContractIsCheckedForItsTypeAndNoOther() async throws {
        let fixture = try await SyncFixture()
        let emptyNumber = Self.document { $0["orderNumber"] = "" }
        #expect(try await submit(fixture, emptyNumber, key: "empty-number") == (422, ["orderNumber is empty"]))
        let wrong = Self.document {
            $0["name"] = 5
            $0["currency"] = .null
            $0["paymentTermsCode"] = .number("1.5")
            $0["owner"] = ["email": false]
            $0["customer"] = ["name": "X", "billTo": ["city": ["Springfield"]]]
            $0["totals"] = ["tax": "8.00"]
        }
        #expect(
            try await submit(fixture, wrong, key: "wrong").1 == [
                "name must be a string or null", "customer.billTo.city must be a string or null",
                "owner.email must be a string or null", "currency is missing",
                "paymentTermsCode must be an integer or null",
                "totals.tax must be a number or null",
            ])
        let whole = Self.document {
            $0["paymentTermsCode"] = .number("2.0")
            $0["freightTermsCode"] = .number("1e2")
            $0["unknownToTheContract"] = ["anything": true]
            $0["dynamics"] = ["salesOrderId": "d1000000-0000-0000-0000-000000001001", "ownerId": .null]
        }
        #expect(try await submit(fixture, whole, key: "whole").0 == 201)
        await fixture.suite.stop()
    }

    @Test func dateTimesAreRFC3339WithRealDaysAndLeapSecondsOnlyAt2359UTC() async throws {
        let fixture = try await SyncFixture()
        let accepted = [
            "2026-11-21T09:01:00Z", "2026-11-21t09:01:00.123456789z", "2024-02-29T00:00:00+01:00",
            "2016-12-31T23:59:60Z",
            "2016-12-31T22:59:60-01:00", "0000-01-01T00:00:00Z",
        ]
        for (index, text) in accepted.enumerated() {
            let document = Self.document { $0["submittedAt"] = .string(text) }
            #expect(try await submit(fixture, document, key: "date-\(index)").0 == 201, "\(text)")
        }
        let refused = [
            "", "2026-11-21", "2026-11-21 09:01:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-21T24:00:00Z", "2026-11-21T12:59:60Z", "2026-11-21T09:01:00+24:00", "2026-11-21T09:01:00.Z",
            "2026-11-21T09:01:00+0100", "2026-11-21T09:01:00",
        ]
        for (index, text) in refused.enumerated() {
            let document = Self.document { $0["requestedDeliveryDate"] = .string(text) }
            #expect(
                try await submit(fixture, document, key: "bad-date-\(index)")
                    == (
                        422,
                        ["requestedDeliveryDate must be an RFC 3339 date-time such as 2026-11-21T09:01:00Z or null"]
                    ),
                "\(text)")
        }
        await fixture.suite.stop()
    }

    @Test func anIdempotencyKeyIs1To200VisibleASCIICharacters() async throws {
        let fixture = try await SyncFixture()
        #expect(try await submit(fixture, Self.document, key: String(repeating: "k", count: 200)).0 == 201)
        for key in [String(repeating: "k", count: 201), "a key", "tab\tkey"] {
            var headers = Self.credentials
            headers["Idempotency-Key"] = key
            let response = try await send(fixture, .post, "/orders", body: Self.document, headers: headers)
            #expect(response.status == 400, "\(key)")
            #expect(try JSONParser.parse(response.body)["error"]?["code"] == "invalid_idempotency_key", "\(key)")
        }
        await fixture.suite.stop()
    }

    @Test func aCursorIsUpTo18DigitsAndALimitAnIntegerFrom1To1000() async throws {
        let fixture = try await SyncFixture()
        for query in ["", "?after=0", "?after=0007&limit=1", "?after=999999999999999999&limit=1000", "?limit=0001"] {
            #expect(try await send(fixture, .get, "/changes\(query)").status == 200, "\(query)")
        }
        let refused = [
            "?after=", "?after=abc", "?after=%2B5", "?after=-1", "?after=1000000000000000000", "?after=%205",
            "?limit=0",
            "?limit=1001", "?limit=1.5", "?limit=", "?limit=%2B5", "?limit=99999999999999999999",
        ]
        for query in refused {
            let response = try await send(fixture, .get, "/changes\(query)")
            #expect(response.status == 400, "\(query)")
            #expect(try JSONParser.parse(response.body)["error"]?["code"] == "invalid_cursor", "\(query)")
        }
        await fixture.suite.stop()
    }
}
