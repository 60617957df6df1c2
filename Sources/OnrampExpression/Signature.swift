import Foundation

/// A function signature such as `<s-nn?:s>`: validates arguments, fills in the context argument (`-`)
/// and wraps single values where an array is expected, as the reference implementation does.
struct Signature: @unchecked Sendable {
    struct Param {
        var regex = ""
        var type = ""
        var array = false
        var context = false
        var contextRegex: NSRegularExpression?
        var subtype: String?
    }

    let definition: String
    private var params: [Param] = []
    private var regex: NSRegularExpression!

    init(_ signature: String) throws(JSONataError) {
        definition = signature
        let chars = Array(signature)
        var position = 1
        var param = Param()
        var hasPrev = false
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
        func push(_ params: inout [Param]) {
            params.append(param)
            param = Param()
            hasPrev = true
        }
        while position < chars.count {
            let symbol = chars[position]
            if symbol == ":" { break }
            switch symbol {
            case "s", "n", "b", "l", "o":
                param.regex = "[\(symbol)m]"
                param.type = String(symbol)
                push(&params)
            case "a":
                param.regex = "[asnblfom]"
                param.type = "a"
                param.array = true
                push(&params)
            case "f":
                param.regex = "f"
                param.type = "f"
                push(&params)
            case "j":
                param.regex = "[asnblom]"
                param.type = "j"
                push(&params)
            case "x":
                param.regex = "[asnblfom]"
                param.type = "x"
                push(&params)
            case "-":
                if hasPrev {
                    params[params.count - 1].context = true
                    params[params.count - 1].contextRegex = try? NSRegularExpression(pattern: params[params.count - 1].regex)
                    params[params.count - 1].regex += "?"
                }
            case "?", "+":
                if hasPrev { params[params.count - 1].regex += String(symbol) }
            case "(":
                let end = closing(position, "(", ")")
                let choice = String(chars[(position + 1)..<end])
                if choice.contains("<") {
                    throw JSONataError("S0402", position: position, value: .string(choice))
                }
                param.regex = "[\(choice)m]"
                param.type = "(\(choice))"
                position = end
                push(&params)
            case "<":
                if hasPrev, params[params.count - 1].type == "a" || params[params.count - 1].type == "f" {
                    let end = closing(position, "<", ">")
                    params[params.count - 1].subtype = String(chars[(position + 1)..<end])
                    position = end
                } else {
                    throw JSONataError("S0401", position: position, value: .string(hasPrev ? params[params.count - 1].type : ""))
                }
            default:
                break
            }
            position += 1
        }
        let pattern = "^" + params.map { "(\($0.regex))" }.joined() + "$"
        regex = try? NSRegularExpression(pattern: pattern)
    }

    static func symbol(_ v: JValue) -> Character {
        switch v {
        case .function: return "f"
        case .string: return "s"
        case .number: return "n"
        case .bool: return "b"
        case .null: return "l"
        case .array: return "a"
        case .object: return "o"
        case .undefined: return "m"
        }
    }

    func validate(_ args: [JValue], context: JValue) throws(JSONataError) -> [JValue] {
        let supplied = String(args.map(Signature.symbol))
        let ns = supplied as NSString
        guard let m = regex.firstMatch(in: supplied, range: NSRange(location: 0, length: ns.length)) else {
            throw validationError(args, supplied)
        }
        var validated: [JValue] = []
        var argIndex = 0
        for (index, param) in params.enumerated() {
            let r = m.range(at: index + 1)
            let match = r.location == NSNotFound ? "" : ns.substring(with: r)
            if match.isEmpty {
                if param.context, let cr = param.contextRegex {
                    let ct = String(Signature.symbol(context))
                    if cr.firstMatch(in: ct, range: NSRange(location: 0, length: 1)) != nil {
                        validated.append(context)
                    } else {
                        throw JSONataError("T0411", jvalue: context, index: argIndex + 1)
                    }
                } else {
                    validated.append(argIndex < args.count ? args[argIndex] : .undefined)
                    argIndex += 1
                }
                continue
            }
            for single in match {
                var arg = argIndex < args.count ? args[argIndex] : .undefined
                if param.type == "a" {
                    if single == "m" {
                        arg = .undefined
                    } else {
                        var ok = true
                        if let subtype = param.subtype {
                            if single != "a" && match != subtype {
                                ok = false
                            } else if single == "a", case .array(let a) = arg, let first = a.items.first {
                                let itemType = Signature.symbol(first)
                                if String(itemType) != String(subtype.prefix(1)) {
                                    ok = false
                                } else {
                                    ok = a.items.allSatisfy { Signature.symbol($0) == itemType }
                                }
                            }
                        }
                        if !ok {
                            var e = JSONataError("T0412", jvalue: arg, index: argIndex + 1)
                            e.extra["type"] = Signature.arrayTypeNames[param.subtype ?? ""] ?? ""
                            throw e
                        }
                        if single != "a" { arg = .array(JArray([arg])) }
                    }
                }
                validated.append(arg)
                argIndex += 1
            }
        }
        return validated
    }

    static let arrayTypeNames = ["a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings"]

    private func validationError(_ args: [JValue], _ supplied: String) -> JSONataError {
        var partial = "^"
        var goodTo = 0
        let ns = supplied as NSString
        for p in params {
            partial += p.regex
            guard let re = try? NSRegularExpression(pattern: partial),
                  let m = re.firstMatch(in: supplied, range: NSRange(location: 0, length: ns.length)) else {
                return JSONataError("T0410", jvalue: goodTo < args.count ? args[goodTo] : .undefined, index: goodTo + 1)
            }
            goodTo = m.range.length
        }
        return JSONataError("T0410", jvalue: goodTo < args.count ? args[goodTo] : .undefined, index: goodTo + 1)
    }
}
