import Emulators
import Foundation
import HTTP
import JSON
import SalesRules
import SopdTestSupport
import Testing

/// Every cell of the seed's price-computation table, walked through the emulator's Web API for both
/// switch positions, both kinds of caller, and orders that are and are not submitted, checking the
/// amounts stored afterwards.
///
/// Each expectation is 8 letters, one per combination, in the order of `PricingCombination.all`:
/// switch off / on × salesperson / integration user × order not submitted / submitted.
/// `C` prices were computed, `S` skipped (what the caller wrote stayed; on a create, nothing was computed), `N` not applicable (nothing
/// computed, the operation itself works), `R` refused: the order is read-only to this caller,
/// `X` refused: an order cannot be submitted while the switch is off. An order is never created Submitted
/// (`statecode` is not valid for create), so its create cells are those of a new order in every combination.
@Suite struct PriceComputationWebAPITests {
    static let expected: [PricedTable: [PriceOperation: String]] = [
        .opportunity: [.create: "CCCCCCCC", .update: "CCCCCCCC", .delete: "NNNNNNNN", .recalculate: "CCCCCCCC"],
        .quote: [.create: "CCCCCCCC", .update: "CCCCCCCC", .delete: "NNNNNNNN", .recalculate: "CCCCCCCC"],
        .salesOrder: [.create: "CCCCCCSS", .update: "CCCCCRSS", .delete: "NNNNNRNN", .recalculate: "CCCCCSCS"],
        .invoice: [.create: "CCCCCCSS", .update: "CCCCCCSS", .delete: "NNNNNNNN", .recalculate: "CCCCCCSS"],
        .opportunityProduct: [.create: "CCCCCCCC", .update: "CCCCCCCC", .delete: "CCCCCCCC", .recalculate: "NNNNNNNN"],
        .quoteProduct: [.create: "CCCCCCCC", .update: "CCCCCCCC", .delete: "CCCCCCCC", .recalculate: "NNNNNNNN"],
        .salesOrderProduct: [.create: "CCCCCRSS", .update: "CCCCCRSS", .delete: "CCCCCRSS", .recalculate: "NNNNNNNN"],
        .invoiceProduct: [.create: "CCCCCCSS", .update: "CCCCCCSS", .delete: "CCCCCCSS", .recalculate: "NNNNNNNN"],
    ]

    /// The seed's words for each cell (`../shared/seed/enable-sales-order-processing-integration.txt`), which
    /// the letters above spell out; `R` comes from "the order is made read-only" under "What happens when
    /// sales order processing is turned on", so it appears only while the switch is on.
    static let seedWords: [PricedTable: [PriceOperation: String]] = {
        let always = "Calculate always"
        let na = "Not applicable"
        let integration = "Calculation is skipped if the IsSOPIntegrationEnabled flag is set to Yes (1) and the signed-in user is an integration user"
        return [
            .opportunity: [.create: always, .update: always, .delete: na, .recalculate: always],
            .quote: [.create: always, .update: always, .delete: na, .recalculate: always],
            .salesOrder: [
                .create: integration,
                .update: "Calculation is skipped if the IsSOPIntegrationEnabled flag is set to Yes (1) and the sales order is in a submitted state or the signed-in user is an integration user",
                .delete: na,
                .recalculate: "Calculation is skipped if the IsSOPIntegrationEnabled flag is set to Yes (1) and the sales order is in a submitted state",
            ],
            .invoice: [.create: integration, .update: integration, .delete: na, .recalculate: integration],
            .opportunityProduct: [.create: always, .update: always, .delete: always, .recalculate: na],
            .quoteProduct: [.create: always, .update: always, .delete: always, .recalculate: na],
            .salesOrderProduct: [
                .create: "Calculation is skipped if the IsSOPIntegrationEnabled flag is set to Yes (1) and the signed-in user is an integration user or the sales order is in a submitted state",
                .update: "Calculation is skipped if the IsSOPIntegrationEnabled flag is set to Yes (1) and the signed-in user is an integration user or sales order is in a submitted state",
                .delete: integration, .recalculate: na,
            ],
            .invoiceProduct: [.create: integration, .update: integration, .delete: integration, .recalculate: na],
        ]
    }()

    /// The price list amount of the product every line uses (P-1001).
    static let listPrice = "450.00"

    @Test(arguments: PricedTable.allCases, PriceOperation.allCases)
    func everyCombinationThroughTheWebAPI(table: PricedTable, operation: PriceOperation) async throws {
        let expected = try #require(Self.expected[table]?[operation])
        var observed = ""
        for sop in [false, true] {
            let fixture = try await SyncFixture(sopIntegrationEnabled: sop)
            try DemoData.seedCatalog(into: fixture.suite.dataverse.store)
            for combination in PricingCombination.all where combination.sopIntegrationEnabled == sop {
                observed.append(try await PricingScenario(fixture: fixture, table: table, combination: combination).run(operation))
            }
            await fixture.suite.stop()
        }
        #expect(
            observed == expected,
            "\(table.seedName) × \(operation) (the seed: \"\(Self.seedWords[table]?[operation] ?? "")\"): expected \(expected), observed \(observed)")
    }

    @Test func theExpectationsAgreeWithTheRulesAsData() {
        for table in PricedTable.allCases {
            for operation in PriceOperation.allCases {
                let letters = Array(Self.expected[table]![operation]!)
                for (index, combination) in PricingCombination.all.enumerated() {
                    let decision = PriceComputationTable.decide(table, operation, in: combination.context(for: table))
                    switch letters[index] {
                    case "C": #expect(decision == .calculate, "\(table) \(operation) \(combination)")
                    case "S": #expect(decision == .skip, "\(table) \(operation) \(combination)")
                    case "N": #expect(decision == .notApplicable, "\(table) \(operation) \(combination)")
                    default: continue
                    }
                }
            }
        }
    }
}

/// One position of the switch, one kind of caller, and a submitted or not submitted order.
struct PricingCombination: CustomStringConvertible {
    var sopIntegrationEnabled: Bool
    var integrationUser: Bool
    var submitted: Bool

    static let all: [PricingCombination] = [false, true].flatMap { sop in
        [false, true].flatMap { integration in
            [false, true].map { PricingCombination(sopIntegrationEnabled: sop, integrationUser: integration, submitted: $0) }
        }
    }

    var token: String {
        integrationUser ? EmulatorIdentities.applicationUserToken : EmulatorIdentities.salesUserToken
    }

    func context(for table: PricedTable) -> PriceContext {
        PriceContext(
            sopIntegrationEnabled: sopIntegrationEnabled, callerIsIntegrationUser: integrationUser,
            orderSubmitted: submitted && table.isSalesOrderTable)
    }

    var description: String {
        "switch \(sopIntegrationEnabled ? "on" : "off"), \(integrationUser ? "integration user" : "salesperson"), \(submitted ? "submitted" : "not submitted")"
    }
}

/// One cell in one combination: a header with two lines whose stored amounts are deliberately stale,
/// one operation by the caller through the Web API, and a look at what was stored.
struct PricingScenario {
    let fixture: SyncFixture
    let table: PricedTable
    let combination: PricingCombination

    private var header: PricedTable { table.header ?? table }
    private var lineTable: PricedTable { header.lines! }
    private func set(_ table: PricedTable) -> String { DataverseSchema.sales.entities[table.logicalName]!.entitySetName }
    private var store: EntityStore { fixture.suite.dataverse.store }

    /// A header (Submitted when the combination says so and it is an order) with two stale lines.
    private func seed() throws -> (header: String, lines: [String]) {
        let headerId = UUID().uuidString.lowercased()
        var row: [String: JSONValue] = [
            "\(header.logicalName)id": .string(headerId), "name": "pricing scenario",
            "pricelevelid@odata.bind": .string("/pricelevels(\(DemoData.priceListId))"),
            "transactioncurrencyid@odata.bind": .string("/transactioncurrencies(\(DemoData.currencyId))"),
            "customerid_account@odata.bind": .string("/accounts(\(DemoData.guid("ac", 1)))"),
            "statecode": 0, "freightamount": .number("0.00"), "totallineitemamount": .number("9.99"),
            "totalamount": .number("1.00"),
        ]
        if header == .salesOrder, combination.submitted {
            row["statecode"] = 1
            row["statuscode"] = 3
        }
        try store.create(header.logicalName, body: row, caller: EmulatorIdentities.salesUserId)
        let lines = try (0..<2).map { _ in try seedLine(headerId) }
        return (headerId, lines)
    }

    private func seedLine(_ headerId: String) throws -> String {
        let lineId = UUID().uuidString.lowercased()
        try store.create(lineTable.logicalName, body: lineBody(headerId).merging(["\(lineTable.logicalName)id": .string(lineId)]) { _, new in new }, caller: nil)
        return lineId
    }

    private func lineBody(_ headerId: String) -> [String: JSONValue] {
        [
            "\(header.logicalName)id@odata.bind": .string("/\(set(header))(\(headerId))"),
            "productid@odata.bind": .string("/products(\(DemoData.guid("dd", 1)))"), "quantity": 2,
            "uomid@odata.bind": .string("/uoms(\(DemoData.unitId))"),
            "priceperunit": .number("999.00"), "baseamount": .number("1.00"), "extendedamount": .number("1.00"),
        ]
    }

    private func request(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil) async throws -> HTTPResponse {
        try await fixture.webAPI(method, path, body: body, token: combination.token, headers: ["Prefer": "return=representation"])
    }

    /// The letter for a refusal, or nil when the answer is a success.
    private func refusal(_ response: HTTPResponse) throws -> Character? {
        guard !response.isSuccess else { return nil }
        let message = try JSONParser.parse(response.body)["error"]?["message"]?.stringValue ?? ""
        if message == SalesOrderProcessing.readOnlyMessage { return "R" }
        if message.contains("can be submitted only while") { return "X" }
        if message.contains("not applicable") { return "N" }
        Issue.record("unexpected answer \(response.status): \(message)")
        return "?"
    }

    private func stored(_ table: PricedTable, _ id: String, _ column: String) -> String? {
        store.row(table.logicalName, id: id)?[column]?.numberText
    }

    private func letter(_ value: String?, calculated: String, skipped: String) -> Character {
        switch value {
        case calculated: "C"
        case skipped: "S"
        default: "?"
        }
    }

    func run(_ operation: PriceOperation) async throws -> Character {
        let (headerId, lines) = try seed()
        switch (table.header == nil, operation) {
        case (true, .create):
            let body: [String: JSONValue] = [
                "name": "created", "freightamount": .number("10.00"), "totalamount": .number("1.00"),
                "pricelevelid@odata.bind": .string("/pricelevels(\(DemoData.priceListId))"),
                "transactioncurrencyid@odata.bind": .string("/transactioncurrencies(\(DemoData.currencyId))"),
            ]
            let response = try await request(.post, set(table), .object(body))
            if let refused = try refusal(response) { return refused }
            let created = try JSONParser.parse(response.body)["\(table.logicalName)id"]?.stringValue ?? ""
            return letter(stored(table, created, "totalamount") ?? "none", calculated: "10.00", skipped: "none")
        case (true, .update):
            let response = try await request(
                .patch, "\(set(table))(\(headerId))", ["freightamount": .number("20.00"), "totalamount": .number("1.00")])
            if let refused = try refusal(response) { return refused }
            return letter(stored(table, headerId, "totalamount"), calculated: "22.00", skipped: "1.00")
        case (true, .delete):
            let response = try await request(.delete, "\(set(table))(\(headerId))")
            if let refused = try refusal(response) { return refused }
            return store.row(table.logicalName, id: headerId) == nil ? "N" : "?"
        case (_, .recalculate):
            let response = try await request(
                .post, "RecalculatePrice", ["entityLogicalName": .string(table.logicalName), "entityId": .string(headerId)])
            if let refused = try refusal(response) { return refused }
            return letter(stored(lineTable, lines[0], "priceperunit"), calculated: PriceComputationWebAPITests.listPrice, skipped: "999.00")
        case (false, .create):
            let response = try await request(.post, set(table), .object(lineBody(headerId)))
            if let refused = try refusal(response) { return refused }
            let created = try JSONParser.parse(response.body)["\(table.logicalName)id"]?.stringValue ?? ""
            return letter(stored(table, created, "priceperunit"), calculated: PriceComputationWebAPITests.listPrice, skipped: "999.00")
        case (false, .update):
            let response = try await request(.patch, "\(set(table))(\(lines[0]))", ["quantity": 3, "baseamount": .number("1.00")])
            if let refused = try refusal(response) { return refused }
            return letter(stored(table, lines[0], "baseamount"), calculated: "1350.00", skipped: "1.00")
        case (false, .delete):
            let response = try await request(.delete, "\(set(table))(\(lines[0]))")
            if let refused = try refusal(response) { return refused }
            return letter(stored(header, headerId, "totallineitemamount"), calculated: "1.00", skipped: "9.99")
        }
    }
}
