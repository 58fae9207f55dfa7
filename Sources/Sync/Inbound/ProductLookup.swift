import Dataverse
import Foundation
import JSON

/// The Dynamics products of back-office lines, read for many events at once so that an `invoiced` event's
/// changeset needs no read of its own. A line's product is found by the Dynamics id the back office has, else
/// by its product number; a line with neither found is a write-in line with the back office's description.
struct ProductLookup {
    /// The columns read.
    static let columns = ["productid", "productnumber", "_defaultuomid_value"]
    /// Conditions per read (a line names its product by id, by number, or both): well inside a URL and Dataverse's limits.
    static let perRead = 50

    private var byId: [String: JSONValue] = [:]
    private var byNumber: [String: JSONValue] = [:]

    /// A lookup of the products read (`rows`, with `columns`).
    init(rows: [JSONValue] = []) {
        for row in rows {
            if let id = row["productid"]?.stringValue?.lowercased() { byId[id] = row }
            // Dataverse compares text without regard to case.
            if let number = row["productnumber"]?.stringValue { byNumber[number.lowercased()] = row }
        }
    }

    /// The filters that read every product `lines` name, `perRead` per filter.
    static func filters(for lines: [JSONValue]) -> [String] {
        var conditions: [String] = []
        var named: Set<String> = []
        for line in lines {
            for condition in Self.conditions(line) where named.insert(condition).inserted { conditions.append(condition) }
        }
        return stride(from: 0, to: conditions.count, by: perRead).map { start in
            conditions[start..<min(start + perRead, conditions.count)].joined(separator: " or ")
        }
    }

    /// The conditions that find a line's product, in the order they are tried: by id, then by number.
    static func conditions(_ line: JSONValue) -> [String] {
        var conditions: [String] = []
        if let id = productId(line) { conditions.append("productid eq \(id)") }
        if let number = line["product"]?["number"]?.stringValue {
            conditions.append("productnumber eq '\(number.replacingOccurrences(of: "'", with: "''"))'")
        }
        return conditions
    }

    /// The Dynamics product id a line names, lower case, when it is one.
    private static func productId(_ line: JSONValue) -> String? {
        guard let text = line["product"]?["id"]?.stringValue, let id = UUID(uuidString: text) else { return nil }
        return id.uuidString.lowercased()
    }

    /// The product columns of a line: the product found and its default unit, else a write-in.
    func fields(_ line: JSONValue) -> [String: JSONValue] {
        var row = Self.productId(line).flatMap { byId[$0] }
        if row == nil, let number = line["product"]?["number"]?.stringValue { row = byNumber[number.lowercased()] }
        return row.flatMap(Self.fields(of:)) ?? Self.writeIn(line)
    }

    /// The product columns of a product row read, or nil when it has no id.
    static func fields(of row: JSONValue) -> [String: JSONValue]? {
        guard let id = row["productid"]?.stringValue else { return nil }
        var fields: [String: JSONValue] = ["productid@odata.bind": .string("/products(\(id))")]
        if let unit = row["_defaultuomid_value"]?.stringValue { fields["uomid@odata.bind"] = .string("/uoms(\(unit))") }
        return fields
    }

    /// A write-in line: Dynamics has no product the back office names.
    static func writeIn(_ line: JSONValue) -> [String: JSONValue] {
        [
            "isproductoverridden": true,
            "productdescription": line["description"] ?? line["product"]?["name"] ?? "Item from the back office",
        ]
    }
}
