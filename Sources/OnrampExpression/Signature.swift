import OnrampCore

/// A function signature such as `<s-nn?:s>`: validates arguments, fills in the context argument (`-`)
/// and wraps single values where an array is expected, as the reference implementation does.
///
/// The reference builds a regular expression over one type letter per argument; this matches the
/// same pattern with a small greedy backtracking matcher, so a call costs no regex engine.
struct Signature: Sendable {
    struct Param: Sendable {
        /// Type letters this parameter accepts (`m` = missing/undefined).
        var allowed: UInt16 = 0
        var type = ""
        var minCount = 1
        var maxCount = 1
        var context = false
        var subtype: String?
    }

    let definition: String
    private var params: [Param] = []
    /// Every parameter takes exactly one argument (no `+`).
    private var singleValued = false
    /// Per parameter, what the one-argument-each check needs: the allowed type bits (low 16 bits)
    /// and, for an `a` parameter, 1 (any items) or 2 + the symbol its items must have (bits 16...).
    private var quick: [UInt32] = []

    /// Whether each argument is of its parameter's type (`args` may be fewer than the parameters).
    private func passesUnchanged(_ args: [JValue]) -> Bool {
        for i in args.indices {
            let q = quick[i]
            let arg = args[i]
            let symbol = Signature.symbol(arg)
            guard q & UInt32(Signature.bit(symbol)) != 0 else { return false }
            let arrayMode = q >> 16
            if arrayMode != 0 {
                guard symbol == 5 else { return false }
                if arrayMode >= 2, !Signature.allItems(of: arg, have: UInt8(arrayMode - 2)) { return false }
            }
        }
        return true
    }

    /// Whether every item of an array has the symbol `itemSymbol` (true when empty).
    private static func allItems(of arg: JValue, have itemSymbol: UInt8) -> Bool {
        switch arg {
        case .array(let a): return a.items.allSatisfy { symbol($0) == itemSymbol }
        case .jsonArray(let xs): return xs.allSatisfy { symbol($0) == itemSymbol }
        default: return true
        }
    }

    init(_ signature: String) throws(JSONataError) {
        definition = signature
        let chars = Array(signature)
        var position = 1
        var param = Param()
        func closing(_ start: Int, _ open: Character, _ close: Character) -> Int {
            var depth = 1
            var p = start
            while p < chars.count - 1 {
                p += 1
                if chars[p] == close {
                    depth -= 1
                    if depth == 0 { break }
                } else if chars[p] == open {
                    depth += 1
                }
            }
            return p
        }
        func push(_ allowed: String, _ type: String) {
            param.allowed = allowed.reduce(0) { $0 | Signature.bit(Signature.letters.firstIndex(of: $1).map(UInt8.init) ?? 0) }
            param.type = type
            params.append(param)
            param = Param()
        }
        while position < chars.count {
            let symbol = chars[position]
            if symbol == ":" { break }
            switch symbol {
            case "s", "n", "b", "l", "o": push("\(symbol)m", String(symbol))
            case "a": push("asnblfom", "a")
            case "f": push("f", "f")
            case "j": push("asnblom", "j")
            case "x": push("asnblfom", "x")
            case "-":
                if !params.isEmpty {
                    params[params.count - 1].context = true
                    params[params.count - 1].minCount = 0
                }
            case "?":
                if !params.isEmpty { params[params.count - 1].minCount = 0 }
            case "+":
                if !params.isEmpty { params[params.count - 1].maxCount = Int.max }
            case "(":
                let end = closing(position, "(", ")")
                let choice = String(chars[(position + 1)..<end])
                if choice.contains("<") {
                    throw JSONataError("S0402", position: position, value: .string(choice))
                }
                position = end
                push(choice + "m", "(\(choice))")
            case "<":
                if let last = params.last, last.type == "a" || last.type == "f" {
                    let end = closing(position, "<", ">")
                    params[params.count - 1].subtype = String(chars[(position + 1)..<end])
                    position = end
                } else {
                    throw JSONataError("S0401", position: position, value: .string(params.last?.type ?? ""))
                }
            default:
                break
            }
            position += 1
        }
        singleValued = params.allSatisfy { $0.maxCount == 1 }
        quick = params.map { p in
            var arrayMode: UInt32 = 0
            if p.allowed & Signature.bit(5) != 0 && p.type == "a" {
                arrayMode = 1
                if let first = p.subtype?.first {
                    // A subtype letter no value has (such as `x`) passes only an empty array.
                    arrayMode = Signature.letters.firstIndex(of: first).map { UInt32($0) + 2 } ?? 0xFF
                }
            }
            return UInt32(p.allowed) | arrayMode << 16
        }
    }

    /// Type letters by symbol code.
    static let letters: [Character] = ["f", "s", "n", "b", "l", "a", "o", "m"]
    static func bit(_ code: UInt8) -> UInt16 { 1 << UInt16(code) }

    /// The argument's type letter as an index into `letters`.
    static func symbol(_ v: JValue) -> UInt8 {
        switch v {
        case .function: return 0
        case .string: return 1
        case .number: return 2
        case .bool: return 3
        case .null: return 4
        case .array, .jsonArray: return 5
        case .object, .jsonObject: return 6
        case .undefined: return 7
        }
    }

    /// The type letter of an input JSON value, as `symbol` gives it for the same value read in place.
    static func symbol(_ v: Value) -> UInt8 {
        switch v {
        case .string: return 1
        case .number: return 2
        case .bool: return 3
        case .null: return 4
        case .array: return 5
        case .object: return 6
        }
    }

    /// How many arguments each of `params[index...to]` takes, matching greedily from `position`
    /// (as a regex engine would), appended to `counts`; false when there is no match.
    /// `anchored` requires using every symbol.
    private func match(_ symbols: [UInt8], _ index: Int, _ to: Int, _ position: Int, anchored: Bool, _ counts: inout [Int]) -> Bool {
        if index > to { return !anchored || position == symbols.count }
        let p = params[index]
        var count = 0
        while count < p.maxCount, position + count < symbols.count, p.allowed & Signature.bit(symbols[position + count]) != 0 {
            count += 1
        }
        while count >= p.minCount {
            counts.append(count)
            if match(symbols, index + 1, to, position + count, anchored: anchored, &counts) { return true }
            counts.removeLast()
            count -= 1
        }
        return false
    }

    func validate(_ args: [JValue], context: JValue) throws(JSONataError) -> [JValue] {
        // One argument per single-valued parameter, each of an allowed type: the greedy matcher's first try
        // takes one each and succeeds, so the arguments pass unchanged.
        // So do arrays for single `a` parameters when their items are of the declared subtype.
        if singleValued, args.count == params.count, passesUnchanged(args) { return args }
        // Fewer arguments than parameters, the rest optional and not taken from the context (`$money(x)` of
        // `<(sn)-n?:n>`): the first try matches the same way, and each missing one is undefined.
        if singleValued, args.count < params.count, params[args.count...].allSatisfy({ $0.minCount == 0 && !$0.context }),
           passesUnchanged(args) {
            return args + Array(repeating: .undefined, count: params.count - args.count)
        }
        let symbols = args.map(Signature.symbol)
        var counts: [Int] = []
        counts.reserveCapacity(params.count)
        guard match(symbols, 0, params.count - 1, 0, anchored: true, &counts) else {
            throw validationError(args, symbols)
        }
        var validated: [JValue] = []
        validated.reserveCapacity(params.count)
        // As in the reference, an optional parameter that matched nothing still consumes an argument
        // slot, so the argument index and the position in the type letters can differ.
        var argIndex = 0
        var position = 0
        for (param, count) in zip(params, counts) {
            if count == 0 {
                if param.context {
                    guard param.allowed & Signature.bit(Signature.symbol(context)) != 0 else {
                        throw JSONataError("T0411", jvalue: context, index: argIndex + 1)
                    }
                    validated.append(context)
                } else {
                    validated.append(argIndex < args.count ? args[argIndex] : .undefined)
                    argIndex += 1
                }
                continue
            }
            let matched = symbols[position..<(position + count)]
            position += count
            for single in matched {
                var arg = argIndex < args.count ? args[argIndex] : .undefined
                if param.type == "a" {
                    if single == 7 {
                        arg = .undefined
                    } else {
                        if let subtype = param.subtype, !Signature.arrayMatches(arg, single, matched, subtype) {
                            var e = JSONataError("T0412", jvalue: arg, index: argIndex + 1)
                            e.extra["type"] = Signature.arrayTypeNames[subtype] ?? ""
                            throw e
                        }
                        if single != 5 { arg = .array(JArray([arg])) }
                    }
                }
                validated.append(arg)
                argIndex += 1
            }
        }
        return validated
    }

    /// Whether an argument for `a<subtype>` holds only items of that type (checked one level deep).
    private static func arrayMatches(_ arg: JValue, _ single: UInt8, _ matched: ArraySlice<UInt8>, _ subtype: String) -> Bool {
        if single != 5 { return String(matched.map { letters[Int($0)] }) == subtype }
        return allItems(of: arg, have: subtype.first.flatMap { letters.firstIndex(of: $0) }.map(UInt8.init) ?? 0xFF)
    }

    static let arrayTypeNames = ["a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings"]

    /// T0410 naming the first argument the signature's prefix cannot match.
    private func validationError(_ args: [JValue], _ symbols: [UInt8]) -> JSONataError {
        var goodTo = 0
        for index in params.indices {
            var counts: [Int] = []
            guard match(symbols, 0, index, 0, anchored: false, &counts) else { break }
            goodTo = counts.reduce(0, +)
        }
        return JSONataError("T0410", jvalue: goodTo < args.count ? args[goodTo] : .undefined, index: goodTo + 1)
    }
}
