/// Parses the `$filter` grammar the emulator supports into a `FilterExpression`.
/// Precedence, loosest first: `or`, `and`, `not`, then comparisons and parentheses.
/// Parentheses and `not` nest at most `maximumNesting` deep and an expression holds at most
/// `maximumConditions` comparisons and functions, so that neither parsing nor the recursive
/// `validate`/`matches` of the result can exhaust the stack, whatever the text.
struct FilterParser {
    /// The deepest nesting of parentheses and `not`.
    static let maximumNesting = 100
    /// The most comparisons and string functions in one expression.
    static let maximumConditions = 1000

    private enum Token: Equatable {
        case word(String)
        case string(String)
        case open, close, comma
        /// `Microsoft.Dynamics.CRM.<name>(<arguments>)`, arguments as written.
        case call(name: String, arguments: String)
    }

    private static let queryFunctionPrefix = "Microsoft.Dynamics.CRM."

    private let source: String
    private var tokens: [(token: Token, position: Int)] = []
    private var index = 0
    private var nesting = 0
    private var conditions = 0

    /// Parses `text`.
    /// - Throws: `QueryError` with the position of the first thing it could not read.
    static func parse(_ text: String) throws(QueryError) -> FilterExpression {
        var parser = FilterParser(source: text)
        try parser.tokenize()
        let expression = try parser.parseOr()
        guard parser.index == parser.tokens.count else { throw parser.syntaxError() }
        return expression
    }

    private init(source: String) { self.source = source }

    private func syntaxError() -> QueryError {
        let position = index < tokens.count ? tokens[index].position : source.count
        return QueryError("Syntax error at position \(position) in '\(source)'.")
    }

    private mutating func tokenize() throws(QueryError) {
        let characters = Array(source)
        var position = 0
        while position < characters.count {
            let character = characters[position]
            switch character {
            case " ", "\t": position += 1
            case "(": tokens.append((.open, position)); position += 1
            case ")": tokens.append((.close, position)); position += 1
            case ",": tokens.append((.comma, position)); position += 1
            case "'":
                let start = position
                var text = ""
                position += 1
                while true {
                    guard position < characters.count else {
                        throw QueryError("Syntax error: unterminated string literal at position \(start) in '\(source)'.")
                    }
                    if characters[position] == "'" {
                        if position + 1 < characters.count, characters[position + 1] == "'" {
                            text.append("'")
                            position += 2
                            continue
                        }
                        position += 1
                        break
                    }
                    text.append(characters[position])
                    position += 1
                }
                tokens.append((.string(text), start))
            default:
                let start = position
                while position < characters.count, !" \t(),'".contains(characters[position]) { position += 1 }
                let word = String(characters[start..<position])
                if word.hasPrefix(Self.queryFunctionPrefix), position < characters.count, characters[position] == "(" {
                    let end = try Self.closingParenthesis(characters, from: position)
                    tokens.append(
                        (.call(name: String(word.dropFirst(Self.queryFunctionPrefix.count)), arguments: String(characters[(position + 1)..<end])), start))
                    position = end + 1
                    continue
                }
                tokens.append((.word(word), start))
            }
        }
    }

    private var current: Token? { index < tokens.count ? tokens[index].token : nil }

    private mutating func parseOr() throws(QueryError) -> FilterExpression {
        var expression = try parseAnd()
        while current == .word("or") {
            index += 1
            expression = .or(expression, try parseAnd())
        }
        return expression
    }

    private mutating func parseAnd() throws(QueryError) -> FilterExpression {
        var expression = try parseUnary()
        while current == .word("and") {
            index += 1
            expression = .and(expression, try parseUnary())
        }
        return expression
    }

    private mutating func parseUnary() throws(QueryError) -> FilterExpression {
        if current == .word("not") {
            try enterNesting()
            defer { nesting -= 1 }
            index += 1
            return .not(try parseUnary())
        }
        if current == .open {
            try enterNesting()
            defer { nesting -= 1 }
            index += 1
            let inner = try parseOr()
            guard current == .close else { throw syntaxError() }
            index += 1
            return inner
        }
        conditions += 1
        guard conditions <= Self.maximumConditions else {
            throw QueryError("The $filter has more than \(Self.maximumConditions) conditions.")
        }
        if case .call(let name, let arguments) = current {
            index += 1
            return try QueryFunctionCall.parse(name: name, arguments: arguments)
        }
        guard case .word(let name) = current else { throw syntaxError() }
        index += 1
        if let function = FilterExpression.StringFunction(rawValue: name) {
            return try parseFunction(function)
        }
        guard case .word(let opName) = current, let op = FilterExpression.ComparisonOperator(rawValue: opName) else {
            throw syntaxError()
        }
        index += 1
        return .compare(property: name, op, try parseLiteral())
    }

    private mutating func enterNesting() throws(QueryError) {
        nesting += 1
        guard nesting <= Self.maximumNesting else {
            throw QueryError("The $filter nests parentheses and 'not' deeper than \(Self.maximumNesting) levels.")
        }
    }

    private mutating func parseFunction(_ function: FilterExpression.StringFunction) throws(QueryError)
        -> FilterExpression
    {
        guard current == .open else { throw syntaxError() }
        index += 1
        guard case .word(let property) = current else { throw syntaxError() }
        index += 1
        guard current == .comma else { throw syntaxError() }
        index += 1
        guard case .string(let argument) = current else { throw syntaxError() }
        index += 1
        guard current == .close else { throw syntaxError() }
        index += 1
        return .function(function, property: property, argument: argument)
    }

    private mutating func parseLiteral() throws(QueryError) -> FilterLiteral {
        defer { index += 1 }
        switch current {
        case .string(let text): return .string(text)
        case .word(let word):
            if word == "null" { return .null }
            if word == "true" { return .boolean(true) }
            if word == "false" { return .boolean(false) }
            if Self.isGUID(word) { return .guid(word) }
            if Self.isDate(word) { return .dateTime(word) }
            if Double(word) != nil, word.first != "+" { return .number(word) }
            throw syntaxError()
        default:
            throw syntaxError()
        }
    }

    /// The index of the `)` that closes the `(` at `open`, outside '…' and "…" literals.
    private static func closingParenthesis(_ characters: [Character], from open: Int) throws(QueryError) -> Int {
        var depth = 0
        var quote: Character?
        for position in open..<characters.count {
            let character = characters[position]
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"": quote = character
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth == 0 { return position }
            default: break
            }
        }
        throw QueryError("Syntax error: unbalanced parentheses in a query function in '\(String(characters))'.")
    }

    static func isGUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    private static func isDate(_ text: String) -> Bool {
        let characters = Array(text)
        guard characters.count >= 10, characters[4] == "-", characters[7] == "-" else { return false }
        return characters[0..<4].allSatisfy(\.isNumber) && characters[5..<7].allSatisfy(\.isNumber)
            && characters[8..<10].allSatisfy(\.isNumber)
    }
}
