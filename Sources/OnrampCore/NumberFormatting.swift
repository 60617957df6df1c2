import Foundation

/// Number text exactly as JavaScript's `Number.prototype.toString` gives it.
public enum NumberFormatting {
    public static func javaScript(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == 0 { return "0" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        var bytes: [UInt8] = []
        if writeShortDecimal(d, into: &bytes) { return String(decoding: bytes, as: UTF8.self) }
        // In this range Swift and JavaScript both print the shortest round-trip digits as a plain decimal.
        if abs(d) >= 1e-4 && abs(d) < 1e15 { return d.description }
        let (negative, digits, exponent) = decompose(d.description)
        return (negative ? "-" : "") + layout(digits: digits, pointPosition: exponent)
    }

    /// Appends `d` as JavaScript prints it when it is m / 10^k with 1 ≤ k ≤ 4 and |m| < 10^15 (money and rates):
    /// that decimal is then its shortest round-trip text, found without printing the binary value. False (nothing
    /// appended) otherwise.
    @inlinable
    public static func writeShortDecimal(_ d: Double, into out: inout [UInt8]) -> Bool {
        var scale = 1.0
        for k in 1...4 {
            scale *= 10
            let scaled = d * scale
            guard scaled == scaled.rounded(), abs(scaled) < 1e15, Double(Int64(scaled)) / scale == d else { continue }
            var m = Int64(scaled)
            if m < 0 { out.append(UInt8(ascii: "-")); m = -m }
            var digits: [UInt8] = []
            var places = k
            while places > 0, m % 10 == 0 { m /= 10; places -= 1 }
            repeat { digits.append(UInt8(48 + m % 10)); m /= 10 } while m > 0
            while digits.count <= places { digits.append(UInt8(ascii: "0")) }
            for (i, c) in digits.reversed().enumerated() {
                if i == digits.count - places { out.append(UInt8(ascii: ".")) }
                out.append(c)
            }
            return true
        }
        return false
    }

    /// `Number(d.toPrecision(15))` printed as JavaScript prints it: how JSONata stringifies numbers.
    public static func javaScriptPrecision15(_ d: Double) -> String {
        if d.isNaN || d.isInfinite || d == 0 { return javaScript(d) }
        if d == d.rounded(), abs(d) < 1e21 { return javaScript(d) }
        let text = String(format15(d))
        return javaScript(Double(text) ?? d)
    }

    private static func format15(_ d: Double) -> String {
        // %.14e gives 15 significant digits, rounded half-even on the exact binary value as JS does.
        String(format: "%.14e", d)
    }

    /// Splits Swift's shortest round-trip text into sign, significant digits and the position of
    /// the decimal point relative to the first digit (JavaScript's `n`).
    static func decompose(_ text: String) -> (Bool, [UInt8], Int) {
        var bytes = Array(text.utf8)
        var negative = false
        if bytes.first == UInt8(ascii: "-") { negative = true; bytes.removeFirst() }
        var exp = 0
        if let e = bytes.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            exp = Int(String(decoding: bytes[(e + 1)...], as: UTF8.self)) ?? 0
            bytes = Array(bytes[..<e])
        }
        var digits: [UInt8] = []
        var point = bytes.count
        for (i, b) in bytes.enumerated() {
            if b == UInt8(ascii: ".") { point = i } else { digits.append(b) }
        }
        var n = point + exp
        while let f = digits.first, f == UInt8(ascii: "0"), digits.count > 1 { digits.removeFirst(); n -= 1 }
        while let l = digits.last, l == UInt8(ascii: "0"), digits.count > 1 { digits.removeLast() }
        return (negative, digits, n)
    }

    static func layout(digits: [UInt8], pointPosition n: Int) -> String {
        let k = digits.count
        let ds = String(decoding: digits, as: UTF8.self)
        if k <= n && n <= 21 {
            return ds + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            return String(ds.prefix(n)) + "." + String(ds.dropFirst(n))
        }
        if -6 < n && n <= 0 {
            return "0." + String(repeating: "0", count: -n) + ds
        }
        let e = n - 1
        let expText = e < 0 ? "-\(-e)" : "+\(e)"
        if k == 1 { return ds + "e" + expText }
        return String(ds.prefix(1)) + "." + String(ds.dropFirst()) + "e" + expText
    }
}

