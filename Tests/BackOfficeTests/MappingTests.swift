@testable import BackOffice
import JSON
import SopdTestSupport
import Testing

/// The mapping language: JSON Pointers, templates in their flavors, and a mapping file checked when loaded, with
/// errors that point at the line.
@Suite struct MappingTests {
    private static let document: JSONValue = [
        "orderNumber": "SO-01001", "customer": ["accountNumber": "A-1001", "name": #"O'Brien "Tools""#], "owner": nil,
        "lines": [
            ["lineNumber": 1, "quantity": .number("2.50"), "unitPrice": .number("450.00"), "product": ["number": "P-1"]],
            ["lineNumber": 2, "quantity": 1, "unitPrice": .number("19.5"), "product": nil],
        ],
        "requestedDeliveryDate": "2026-12-15T00:00:00Z",
    ]

    private static func template(_ text: String, _ flavor: TemplateFlavor = .json) throws -> MappingTemplate {
        try MappingTemplate(text, flavor: flavor, at: MappingLocation(file: "test.yaml", line: 10, column: 5, keyPath: "body"))
    }

    @Test func pointersFollowRFC6901() throws {
        let document: JSONValue = ["a/b": ["~x": 1], "items": [["id": "first"], ["id": "second"]], "": "empty"]
        #expect(JSONPointer("/a~1b/~0x")?.resolve(in: document) == 1)
        #expect(JSONPointer("/items/1/id")?.text(in: document) == "second")
        #expect(JSONPointer("/items/01/id")?.resolve(in: document) == nil, "an index with a leading zero names nothing")
        #expect(JSONPointer("/items/2")?.resolve(in: document) == nil)
        #expect(JSONPointer("/")?.resolve(in: document) == "empty")
        #expect(JSONPointer("")?.resolve(in: document) == document)
        #expect(JSONPointer("items") == nil)
        #expect(JSONPointer("/a~2") == nil)
    }

    @Test func aJSONBodyWritesEachValueAsItsLiteral() throws {
        let body = try Self.template(
            #"{"ref": {{orderNumber}}, "name": {{customer.name}}, "note": "for {{raw(customer.name)}}", "owner": {{owner.name}}, "lines": [{{#lines}}{"qty": {{quantity}}, "sku": {{product.number}}}{{^last()}},{{/last()}}{{/lines}}], "due": {{date(requestedDeliveryDate)}}}"#
        ).render(Self.document)
        let parsed = try JSONParser.parse(body)
        #expect(parsed["ref"] == "SO-01001")
        #expect(parsed["name"]?.stringValue == #"O'Brien "Tools""#, "quotes are escaped, not broken")
        #expect(parsed["note"]?.stringValue == #"for O'Brien "Tools""#)
        #expect(parsed["owner"] == .null, "a member of null is null")
        #expect(parsed["lines"]?.arrayValue?.count == 2)
        #expect(parsed["lines"]?.arrayValue?[0]["qty"]?.numberText == "2.50", "numbers go digit for digit")
        #expect(parsed["lines"]?.arrayValue?[1]["sku"] == .null)
        #expect(parsed["due"] == "2026-12-15")
    }

    @Test func aURLEncodesValuesAndODataQuotesAreDoubled() throws {
        let url = try Self.template("/orders?ref={{orderNumber}}&name={{customer.name}}&f=name eq '{{odata(customer.name)}}'", .url)
            .render(Self.document)
        #expect(url.hasPrefix("/orders?ref=SO-01001&name=O%27Brien%20%22Tools%22"))
        #expect(url.hasSuffix("f=name eq 'O%27%27Brien%20%22Tools%22'"))
    }

    @Test func aTemplateThatDoesNotParseNamesItsLine() throws {
        let error = #expect(throws: MappingError.self) { try Self.template("{\n  \"a\": {{#lines}}\n}") }
        #expect(error?.location.file == "test.yaml")
        #expect(error?.location.line ?? 0 >= 10, "the error is placed in the file, not in the template")
    }

    @Test func aBodyThatWouldNotBeJSONIsFoundAtLoad() throws {
        let error = #expect(throws: MappingError.self) { try Self.template(#"{"a": {{orderNumber}} "b": 1}"#).checkRendersJSON() }
        #expect(error?.description.contains("does not render JSON") == true)
    }

    @Test func theWorkedExampleAndTheBusinessCentralProfileLoad() throws {
        let fabrikam = try HTTPMapping.parse(try PackageFiles.text("docs/examples/fabrikam-erp.yaml"), file: "fabrikam-erp.yaml")
        #expect(fabrikam.name == "Fabrikam ERP")
        #expect(fabrikam.outbound.lookup.matches.description == "/items")
        #expect(fabrikam.inbound.polls.map(\.name) == ["orders"])
        let hooked = try HTTPMapping.parse(
            try PackageFiles.text("docs/examples/fabrikam-erp.yaml") + (try PackageFiles.text("docs/examples/fabrikam-erp-webhook.yaml")),
            file: "hooked.yaml")
        #expect(hooked.inbound.webhook?.records.events.count == fabrikam.inbound.polls[0].records.events.count, "the alias shares the rules")
        let businessCentral = try BusinessCentralProfile.mapping()
        #expect(businessCentral.inbound.polls.map(\.name) == ["shipments", "orders", "invoices"])
    }

    @Test func theAdaptersGuideShowsTheExamplesAndTheProfileAsTheyAre() throws {
        let guide = try PackageFiles.text("docs/adapters.md")
        #expect(guide.contains(try PackageFiles.text("docs/examples/fabrikam-erp.yaml")))
        #expect(guide.contains(try PackageFiles.text("docs/examples/fabrikam-erp-webhook.yaml")))
        #expect(guide.contains(BusinessCentralProfile.text))
    }

    @Test(arguments: [
        ("outbound:\n  lookup:\n    url: /x\n    matches: /m\n    id: /id\n  creat:\n    url: /y\n", 6, "Did you mean create?"),
        ("outbound:\n  lookup:\n    url: /x\n    matches: items\n    id: /id\n  create:\n    url: /y\n    id: /id\n", 4, "not a JSON Pointer"),
        ("outbound:\n  lookup:\n    url: /x\n    matches: /m\n    id: /id\n  create:\n    url: /y\n    body: |\n      {\"a\": {{orderNumber}} \"b\": 2}\n    id: /id\ninbound:\n  polls: []\n", 9, "does not render JSON"),
        ("outbound: [\n", 2, "not valid YAML"),
    ])
    func aMistakeStopsTheLoadAtItsLine(text: String, line: Int, says: String) throws {
        let error = #expect(throws: MappingError.self) { try HTTPMapping.parse(text, file: "erp.yaml") }
        #expect(error?.location.line == line, "\(error?.description ?? "")")
        #expect(error?.description.contains(says) == true, "\(error?.description ?? "")")
        #expect(error?.description.hasPrefix("erp.yaml:\(line):") == true)
    }

    @Test func anUnknownEventKindIsNamedWithTheKnownOnes() throws {
        let text = try PackageFiles.text("docs/examples/fabrikam-erp.yaml").replacingOccurrences(of: "kind: shipped", with: "kind: shiped")
        let error = #expect(throws: MappingError.self) { try HTTPMapping.parse(text, file: "erp.yaml") }
        #expect(error?.description.contains("did you mean shipped?") == true, "\(error?.description ?? "")")
    }

    @Test func cursorValuesCompareAsTimesNumbersOrText() {
        #expect(PollPositions.precedes("2026-12-03T10:00:00.5Z", "2026-12-03T10:00:01Z"), "fractions of seconds of any length")
        #expect(!PollPositions.precedes("2026-12-03T10:00:01Z", "2026-12-03T10:00:00.999Z"))
        #expect(PollPositions.precedes("9", "10"))
        #expect(PollPositions.precedes("abc", "abd"))
    }

    @Test func statusesFallIntoTheirClasses() {
        let classes = StatusClasses(accepted: [201...201])
        #expect(classes.meaning(of: 201) == .accepted)
        #expect(classes.meaning(of: 200) == .retryable, "a 2xx not listed as accepted is not taken as accepted")
        #expect(classes.meaning(of: 429) == .retryable)
        #expect(classes.meaning(of: 422) == .refused)
        #expect(classes.meaning(of: 503) == .retryable)
    }

    /// The vector was computed with Python's hmac module: `hmac.new(b'shared-secret', b'1796322889.{"id":"evt_1"}', sha256)`.
    @Test func theSignatureIsHMACSHA256OfTheTimeAndBody() {
        let body = Array(#"{"id":"evt_1"}"#.utf8)
        let expected = "8bd08dc4460667c5b87acee1e4f7c85ae24fc7f9c7fda1f109bb08d0d7af4221"
        #expect(WebhookSignature.sign(secret: "shared-secret", timestamp: "1796322889", body: body) == expected)
        #expect(WebhookSignature.isValid("sha256=" + expected, secret: "shared-secret", timestamp: "1796322889", body: body))
        #expect(WebhookSignature.isValid(expected.uppercased(), secret: "shared-secret", timestamp: "1796322889", body: body))
        #expect(!WebhookSignature.isValid(expected, secret: "shared-secret", timestamp: "1796322890", body: body), "the time is signed")
        #expect(!WebhookSignature.isValid(expected, secret: "other", timestamp: "1796322889", body: body))
        #expect(!WebhookSignature.isValid("zz", secret: "shared-secret", timestamp: "1796322889", body: body))
    }
}
