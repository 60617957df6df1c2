import Foundation
import OnrampCore

/// `$sum`, `$round`, `$number` and the other numeric functions.
enum NumericFunctions {
    typealias E = FunctionLibrary.Entry

    static func numbers(_ v: JValue) -> [Double]? {
        switch v {
        case .undefined: return nil
        case .array(let a): return a.items.compactMap(\.numberValue)
        case .jsonArray(let xs): return xs.compactMap(\.numberValue)
        case .number(let n): return [n]
        default: return []
        }
    }

    static func unary(_ f: @escaping (Double) throws -> Double) -> NativeImplementation {
        { _, a, _ in
            guard let n = a.at(0).numberValue else { return .undefined }
            return .number(try f(n))
        }
    }

    nonisolated(unsafe) static let entries: [String: E] = [
        "sum": E(signature: "<a<n>:n>", arity: 1) { _, a, _ in
            switch a.at(0) {
            case .undefined: return .undefined
            case .array(let arr): return .number(arr.items.reduce(0) { $0 + ($1.numberValue ?? 0) })
            case .jsonArray(let xs): return .number(xs.reduce(0) { $0 + ($1.numberValue ?? 0) })
            case .number(let n): return .number(n)
            default: return .number(0)
            }
        },
        "count": E(signature: "<a:n>", arity: 1) { _, a, _ in
            switch a.at(0) {
            case .undefined: return .number(0)
            case .array(let arr): return .number(Double(arr.count))
            case .jsonArray(let xs): return .number(Double(xs.count))
            default: return .number(1)
            }
        },
        "max": E(signature: "<a<n>:n>", arity: 1) { _, a, _ in
            guard let ns = numbers(a.at(0)), let m = ns.max() else { return .undefined }
            return .number(m)
        },
        "min": E(signature: "<a<n>:n>", arity: 1) { _, a, _ in
            guard let ns = numbers(a.at(0)), let m = ns.min() else { return .undefined }
            return .number(m)
        },
        "average": E(signature: "<a<n>:n>", arity: 1) { _, a, _ in
            guard let ns = numbers(a.at(0)), !ns.isEmpty else { return .undefined }
            return .number(ns.reduce(0, +) / Double(ns.count))
        },
        "number": E(signature: "<(nsb)-:n>", arity: 1) { _, a, _ in try number(a.at(0)) },
        "floor": E(signature: "<n-:n>", arity: 1, implementation: unary { Foundation.floor($0) }),
        "ceil": E(signature: "<n-:n>", arity: 1, implementation: unary { Foundation.ceil($0) }),
        "abs": E(signature: "<n-:n>", arity: 1, implementation: unary { Swift.abs($0) }),
        "sqrt": E(signature: "<n-:n>", arity: 1, implementation: unary { n in
            if n < 0 { throw JSONataError("D3060", value: .number(n), index: 1) }
            return n.squareRoot()
        }),
        "power": E(signature: "<n-n:n>", arity: 2) { _, a, _ in
            guard let b = a.at(0).numberValue, let e = a.at(1).numberValue else { return .undefined }
            let r = Foundation.pow(b, e)
            if !r.isFinite { throw JSONataError("D3061", value: .number(b), extra: ["exp": NumberFormatting.javaScript(e)]) }
            return .number(r)
        },
        "round": E(signature: "<n-n?:n>", arity: 2) { _, a, _ in
            guard let n = a.at(0).numberValue else { return .undefined }
            // Beyond ±1000 places no double changes (and jsonata-js gives NaN): out of range.
            let p = a.at(1).numberValue ?? 0
            guard let precision = SizeLimits.exactInt(p, within: 1000) else {
                throw JSONataError("D1001", value: .number(p))
            }
            let r = round(n, precision)
            if !r.isFinite && n.isFinite { throw JSONataError("D1001", value: .number(p)) }
            return .number(r)
        },
        "random": E(signature: "<:n>", arity: 0) { _, _, _ in .number(Double.random(in: 0..<1)) },
        "formatBase": E(signature: "<n-n?:s>", arity: 2) { _, a, _ in
            guard let n = a.at(0).numberValue else { return .undefined }
            let r = a.at(1).numberValue ?? 10
            guard let radix = SizeLimits.exactInt(r, within: 1000), radix >= 2, radix <= 36 else {
                throw JSONataError("D3100", value: .number(r.isFinite ? r.rounded(.towardZero) : r))
            }
            let v = round(n, 0)
            // Int64 holds the magnitude below 2^63; beyond that the number is out of range.
            guard Swift.abs(v) < 9.223372036854775807e18 else { throw JSONataError("D1001", value: .number(n)) }
            let s = String(Int64(Swift.abs(v)), radix: radix)
            return .string(v < 0 ? "-" + s : s)
        },
    ]

    static func number(_ v: JValue) throws -> JValue {
        switch v {
        case .undefined: return .undefined
        case .number: return v
        case .bool(let b): return .number(b ? 1 : 0)
        case .string(let s):
            if isJSONNumber(s), let d = Double(s), d.isFinite {
                return .number(d)
            }
            if s.count > 2, s.hasPrefix("0") {
                let radix: Int? = ["x": 16, "X": 16, "o": 8, "O": 8, "b": 2, "B": 2][s.dropFirst().first!]
                if let radix, let n = Int64(s.dropFirst(2), radix: radix) { return .number(Double(n)) }
            }
            throw JSONataError("D3030", jvalue: v, index: 1)
        default:
            throw JSONataError("D3030", jvalue: v, index: 1)
        }
    }

    /// `-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?`, the only text `$number` casts (besides 0x/0o/0b).
    static func isJSONNumber(_ s: String) -> Bool {
        var it = s.utf8.makeIterator()
        var c = it.next()
        func digits(_ c: inout UInt8?, _ it: inout String.UTF8View.Iterator) -> Int {
            var n = 0
            while let d = c, d >= 0x30, d <= 0x39 { n += 1; c = it.next() }
            return n
        }
        if c == UInt8(ascii: "-") { c = it.next() }
        if digits(&c, &it) == 0 { return false }
        if c == UInt8(ascii: ".") {
            c = it.next()
            if digits(&c, &it) == 0 { return false }
        }
        if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            c = it.next()
            if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { c = it.next() }
            if digits(&c, &it) == 0 { return false }
        }
        return c == nil
    }

    static let powersOfTen: [Double] = (0...15).map { Foundation.pow(10, Double($0)) }

    /// Round half to even at `precision` decimal places, shifting in decimal text as the reference does.
    static func round(_ value: Double, _ precision: Int) -> Double {
        // Shift the decimal point in the shortest decimal text, not by multiplying: 1.005 * 100 is
        // 100.49999999999999 in binary, but "1.005e2" is exactly the intended 100.5.
        func shift(_ x: Double, _ by: Int) -> Double {
            if by == 0 { return x }
            let text = x.description
            if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
                return Double("\(text[..<e])e\((Int(text[text.index(after: e)...]) ?? 0) + by)") ?? x
            }
            return Double("\(text)e\(by)") ?? x
        }
        // Scaling by multiplication is off by at most an ulp or two, so it is exact enough unless the
        // scaled value lies next to a .5 boundary; then the decimal text decides. Dividing the rounded
        // integer by an exact power of ten is correctly rounded, like parsing "123e-2".
        if precision >= 0 && precision <= 15 && Swift.abs(value) < 1e15 {
            let scale = powersOfTen[precision]
            let scaled = value * scale
            let fraction = Swift.abs(scaled - scaled.rounded(.down) - 0.5)
            if fraction > 1e-6 && Swift.abs(scaled) < 1e9 {
                let result = scaled.rounded(.toNearestOrEven) / scale
                return result == 0 ? 0 : result
            }
        }
        let arg = shift(value, precision)
        var result = Foundation.floor(arg + 0.5)
        let diff = result - arg
        if Swift.abs(diff) == 0.5 && Swift.abs(result.truncatingRemainder(dividingBy: 2)) == 1 { result -= 1 }
        result = shift(result, -precision)
        return result == 0 ? 0 : result
    }
}
