import Foundation

/// `$string`, `$substring`, `$replace`, `$split`, `$match` and the other string functions.
enum StringFunctions {
    typealias E = FunctionLibrary.Entry

    static func str(_ v: JValue) -> String? { v.stringValue }

    nonisolated(unsafe) static let entries: [String: E] = [
        "string": E(signature: "<x-b?:s>", arity: 1) { _, a, _ in
            if a.at(0).isUndefined { return .undefined }
            return .string(try Functions.string(a.at(0), pretty: a.at(1) == .bool(true)))
        },
        "substring": E(signature: "<s-nn?:s>", arity: 3) { _, a, _ in
            guard let s = str(a.at(0)) else { return .undefined }
            return .string(substring(s, a.at(1).numberValue ?? 0, a.at(2).numberValue))
        },
        "substringBefore": E(signature: "<s-s:s>", arity: 2) { _, a, _ in
            guard let s = str(a.at(0)) else { return .undefined }
            guard let c = str(a.at(1)) else { return .string(s) }
            let ns = s as NSString
            let r = ns.range(of: c)
            if c.isEmpty { return .string("") }
            return .string(r.location == NSNotFound ? s : ns.substring(to: r.location))
        },
        "substringAfter": E(signature: "<s-s:s>", arity: 2) { _, a, _ in
            guard let s = str(a.at(0)) else { return .undefined }
            guard let c = str(a.at(1)) else { return .string(s) }
            if c.isEmpty { return .string(s) }
            let ns = s as NSString
            let r = ns.range(of: c)
            return .string(r.location == NSNotFound ? s : ns.substring(from: r.location + r.length))
        },
        "lowercase": E(signature: "<s-:s>", arity: 1) { _, a, _ in str(a.at(0)).map { .string($0.lowercased()) } ?? .undefined },
        "uppercase": E(signature: "<s-:s>", arity: 1) { _, a, _ in str(a.at(0)).map { .string($0.uppercased()) } ?? .undefined },
        "length": E(signature: "<s-:n>", arity: 1) { _, a, _ in
            str(a.at(0)).map { .number(Double($0.unicodeScalars.count)) } ?? .undefined
        },
        "trim": E(signature: "<s-:s>", arity: 1) { _, a, _ in
            guard let s = str(a.at(0)) else { return .undefined }
            return .string(trim(s))
        },
        "pad": E(signature: "<s-ns?:s>", arity: 3) { _, a, _ in
            guard let s = str(a.at(0)), let width = a.at(1).numberValue else { return .undefined }
            var ch = str(a.at(2)) ?? " "
            if ch.isEmpty { ch = " " }
            let padLength = SizeLimits.clampedInt(abs(width)) - s.unicodeScalars.count
            if padLength <= 0 { return .string(s) }
            // Checked before allocating: the padding is at most `padLength` copies of `ch`.
            let paddingBytes = padLength.multipliedReportingOverflow(by: ch.utf8.count)
            try SizeLimits.checkString(paddingBytes.overflow ? Int.max : s.utf8.count + paddingBytes.partialValue)
            var padding = String(repeating: ch, count: padLength)
            if ch.unicodeScalars.count > 1 { padding = substring(padding, 0, Double(padLength)) }
            return .string(width > 0 ? s + padding : padding + s)
        },
        "contains": E(signature: "<s-(sf):b>", arity: 2) { ev, a, f in
            guard let s = str(a.at(0)), !a.at(1).isUndefined else { return .undefined }
            switch a.at(1) {
            case .string(let t): return .bool(t.isEmpty || (s as NSString).range(of: t).location != NSNotFound)
            case .function(let m): return .bool(!(try matcher(ev, m, s, f)).isUndefined)
            default: return .bool(false)
            }
        },
        "split": E(signature: "<s-(sf)n?:a<s>>", arity: 3) { ev, a, f in
            guard let s = str(a.at(0)) else { return .undefined }
            let limit = a.at(2).numberValue
            if let l = limit, l < 0 { throw JSONataError("D3020", value: .string(s)) }
            var result: [String] = []
            if limit == nil || limit! > 0 {
                switch a.at(1) {
                case .string(let sep):
                    result = split(s, sep)
                    if let l = limit { result = Array(result.prefix(SizeLimits.clampedInt(l))) }
                case .function(let m):
                    let ns = s as NSString
                    var count = 0
                    var match = try matcher(ev, m, s, f)
                    if match.isUndefined {
                        result.append(s)
                    } else {
                        var start = 0
                        while let mo = match.objectValue, limit == nil || Double(count) < limit! {
                            try ev.checkTime()
                            let ms = offset(mo["start"], in: ns)
                            result.append(ns.substring(with: NSRange(location: start, length: max(0, ms - start))))
                            try SizeLimits.checkItems(result.count)
                            start = offset(mo["end"], in: ns)
                            match = try next(ev, mo, f)
                            count += 1
                        }
                        if limit == nil || Double(count) < limit! { result.append(ns.substring(from: min(start, ns.length))) }
                    }
                default: break
                }
            }
            return .array(JArray(result.map { .string($0) }))
        },
        "join": E(signature: "<a<s>s?:s>", arity: 2) { _, a, _ in
            let separator = str(a.at(1)) ?? ""
            var joined = ""
            var first = true
            func add(_ part: String) throws(JSONataError) {
                try SizeLimits.checkString(joined.utf8.count + separator.utf8.count + part.utf8.count)
                if !first { joined += separator }
                joined += part
                first = false
            }
            switch a.at(0) {
            case .array(let arr): for case .string(let part) in arr.items { try add(part) }
            case .jsonArray(let xs): for case .string(let part) in xs { try add(part) }
            default: return .undefined
            }
            return .string(joined)
        },
        "match": E(signature: "<s-f<s:o>n?:a<o>>", arity: 3) { ev, a, f in
            guard let s = str(a.at(0)), case .function(let m) = a.at(1) else { return .undefined }
            let limit = a.at(2).numberValue
            if let l = limit, l < 0 { throw JSONataError("D3040", value: .number(l)) }
            let result = JArray([], sequence: true)
            if limit == nil || limit! > 0 {
                var count = 0
                var match = try matcher(ev, m, s, f)
                while let mo = match.objectValue, limit == nil || Double(count) < limit! {
                    try ev.checkTime()
                    try SizeLimits.checkItems(result.count + 1)
                    result.append(.object(JObject(["match": mo["match"], "index": mo["start"], "groups": mo["groups"]])))
                    match = try next(ev, mo, f)
                    count += 1
                }
            }
            return .array(result)
        },
        "replace": E(signature: "<s-(sf)(sf)n?:s>", arity: 4) { ev, a, f in
            try replace(ev, a, f)
        },
        "base64encode": E(signature: "<s-:s>", arity: 1) { _, a, _ in
            str(a.at(0)).map { .string(Data($0.utf8).base64EncodedString()) } ?? .undefined
        },
        "base64decode": E(signature: "<s-:s>", arity: 1) { _, a, _ in
            guard let s = str(a.at(0)) else { return .undefined }
            guard let d = Data(base64Encoded: s, options: .ignoreUnknownCharacters) else { return .undefined }
            return .string(String(decoding: d, as: UTF8.self))
        },
        "encodeUrlComponent": E(signature: "<s-:s>", arity: 1) { _, a, _ in
            try encodeURL(a.at(0), unreserved: "-_.!~*'()", name: "encodeUrlComponent")
        },
        "encodeUrl": E(signature: "<s-:s>", arity: 1) { _, a, _ in
            try encodeURL(a.at(0), unreserved: "-_.!~*'();/?:@&=+$,#", name: "encodeUrl")
        },
        "decodeUrlComponent": E(signature: "<s-:s>", arity: 1) { _, a, _ in
            try decodeURL(a.at(0), reserved: "", name: "decodeUrlComponent")
        },
        "decodeUrl": E(signature: "<s-:s>", arity: 1) { _, a, _ in
            try decodeURL(a.at(0), reserved: ";/?:@&=+$,#", name: "decodeUrl")
        },
    ]

    /// JavaScript's `slice` over code points, as `$substring` defines it.
    static func substring(_ s: String, _ startIn: Double, _ length: Double?) -> String {
        // ASCII: code points are bytes.
        let ascii = s.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
            guard let (from, to) = substringBounds(bytes.count, startIn, length) else { return "" }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<to]), as: UTF8.self)
        }
        if let result = ascii.flatMap({ $0 }) { return result }
        let scalars = Array(s.unicodeScalars)
        guard let (from, to) = substringBounds(scalars.count, startIn, length) else { return "" }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[from..<to])
        return String(out)
    }

    /// The code point range `$substring` takes from a string of `n` code points; nil when empty.
    static func substringBounds(_ n: Int, _ startIn: Double, _ length: Double?) -> (Int, Int)? {
        var start = startIn.isFinite ? SizeLimits.clampedInt(startIn) : (startIn < 0 ? -n : n)
        if n + start < 0 { start = 0 }
        func clamp(_ i: Int) -> Int { i < 0 ? max(0, n + i) : min(i, n) }
        var end = n
        if let length {
            if length <= 0 { return nil }
            let l = length.isFinite ? SizeLimits.clampedInt(length) : n
            end = start >= 0 ? start + l : n + start + l
        }
        let from = clamp(start), to = clamp(end)
        return from < to ? (from, to) : nil
    }

    static func trim(_ s: String) -> String {
        var out = ""
        var inSpace = false
        for c in s.unicodeScalars {
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                if !inSpace { out.unicodeScalars.append(" ") }
                inSpace = true
            } else {
                out.unicodeScalars.append(c)
                inSpace = false
            }
        }
        if out.hasPrefix(" ") { out.removeFirst() }
        if out.hasSuffix(" ") { out.removeLast() }
        return out
    }

    static func split(_ s: String, _ sep: String) -> [String] {
        if sep.isEmpty { return s.utf16.map { String(decoding: [$0], as: UTF16.self) } }
        return s.components(separatedBy: sep)
    }

    /// A matcher's `start` or `end` as a UTF-16 offset into `ns`, clamped to the string (a custom
    /// matcher may return any number).
    static func offset(_ v: JValue, in ns: NSString) -> Int {
        min(max(0, SizeLimits.clampedInt(v.numberValue ?? 0)), ns.length)
    }

    static func matcher(_ ev: Evaluator, _ m: JFunction, _ s: String, _ f: CallFocus) throws -> JValue {
        let result = try ev.apply(m, [.string(s)], input: .undefined, env: f.environment)
        if let o = result.objectValue {
            if o["start"].numberValue == nil && o["end"].numberValue == nil && o["groups"].arrayValue == nil && !o["next"].isFunction {
                throw JSONataError("T1010")
            }
        } else if !result.isUndefined {
            throw JSONataError("T1010")
        }
        return result
    }

    static func next(_ ev: Evaluator, _ match: JObject, _ f: CallFocus) throws -> JValue {
        guard case .function(let n) = match["next"] else { return .undefined }
        return try ev.apply(n, [], input: .undefined, env: f.environment)
    }

    static func replace(_ ev: Evaluator, _ a: [JValue], _ f: CallFocus) throws -> JValue {
        guard let s = str(a.at(0)) else { return .undefined }
        let pattern = a.at(1)
        if pattern.stringValue == "" { throw JSONataError("D3010", value: pattern.shownValue) }
        let limit = a.at(3).numberValue
        if let l = limit, l < 0 { throw JSONataError("D3011", value: .number(l)) }
        if let l = limit, l == 0 { return .string(s) }
        let ns = s as NSString
        var result = ""
        var position = 0
        var count = 0
        if case .string(let p) = pattern {
            var r = ns.range(of: p, range: NSRange(location: 0, length: ns.length))
            let replacement = (try? Functions.string(a.at(2))) ?? ""
            while r.location != NSNotFound && (limit == nil || Double(count) < limit!) {
                try ev.checkTime()
                result += ns.substring(with: NSRange(location: position, length: r.location - position))
                try SizeLimits.checkString(result.utf8.count + replacement.utf8.count)
                result += replacement
                position = r.location + r.length
                count += 1
                r = ns.range(of: p, range: NSRange(location: position, length: ns.length - position))
            }
            result += ns.substring(from: position)
            return .string(result)
        }
        guard case .function(let m) = pattern else { return .string(s) }
        var match = try matcher(ev, m, s, f)
        if match.isUndefined { return .string(s) }
        while let mo = match.objectValue, limit == nil || Double(count) < limit! {
            try ev.checkTime()
            let start = offset(mo["start"], in: ns)
            if start > position { result += ns.substring(with: NSRange(location: position, length: start - position)) }
            let replaced: JValue
            switch a.at(2) {
            case .string(let template): replaced = .string(substitute(template, mo))
            case .function(let rf): replaced = try ev.apply(rf, [.object(mo)], input: .undefined, env: f.environment)
            default: replaced = .undefined
            }
            guard case .string(let rs) = replaced else { throw JSONataError("D3012", jvalue: replaced) }
            try SizeLimits.checkString(result.utf8.count + rs.utf8.count)
            result += rs
            position = max(position, min(ns.length, start + ((mo["match"].stringValue ?? "") as NSString).length))
            count += 1
            match = try next(ev, mo, f)
        }
        result += ns.substring(from: min(position, ns.length))
        return .string(result)
    }

    /// Expands `$0`, `$1`…, `$$` in a replacement string, as the reference implementation does.
    static func substitute(_ replacement: String, _ match: JObject) -> String {
        let chars = Array(replacement.utf16)
        let groups = match["groups"].arrayValue?.items ?? []
        var out: [UInt16] = []
        var position = 0
        func indexOfDollar(_ from: Int) -> Int? { (from..<chars.count).first { chars[$0] == 0x24 } }
        var index = indexOfDollar(0)
        while let idx = index, position < chars.count {
            out.append(contentsOf: chars[position..<idx])
            position = idx + 1
            let next = position < chars.count ? chars[position] : 0
            if next == 0x24 {
                out.append(0x24)
                position += 1
            } else if next == 0x30 {
                out.append(contentsOf: (match["match"].stringValue ?? "").utf16)
                position += 1
            } else {
                let maxDigits = groups.isEmpty ? 1 : Int(floor(log10(Double(groups.count)))) + 1
                func parse(_ n: Int) -> Int? {
                    var end = position
                    while end < chars.count, end < position + n, chars[end] >= 0x30, chars[end] <= 0x39 { end += 1 }
                    return end > position ? Int(String(decoding: chars[position..<end], as: UTF16.self)) : nil
                }
                var gi = parse(maxDigits)
                if maxDigits > 1, let g = gi, g > groups.count { gi = parse(maxDigits - 1) }
                if let g = gi {
                    if !groups.isEmpty, g >= 1, g <= groups.count, let sub = groups[g - 1].stringValue {
                        out.append(contentsOf: sub.utf16)
                    }
                    position += String(g).count
                } else {
                    out.append(0x24)
                }
            }
            index = indexOfDollar(position)
        }
        if position < chars.count { out.append(contentsOf: chars[position...]) }
        return String(decoding: out, as: UTF16.self)
    }

    static func encodeURL(_ v: JValue, unreserved: String, name: String) throws -> JValue {
        guard let s = str(v) else { return .undefined }
        var out = ""
        let keep = Set(unreserved.utf8)
        for scalar in s.unicodeScalars {
            if scalar.isASCII, let b = UInt8(exactly: scalar.value),
               (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || keep.contains(b) {
                out.unicodeScalars.append(scalar)
            } else {
                for b in String(scalar).utf8 { out += String(format: "%%%02X", b) }
            }
        }
        return .string(out)
    }

    static func decodeURL(_ v: JValue, reserved: String, name: String) throws -> JValue {
        guard let s = str(v) else { return .undefined }
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        var i = 0
        let keep = Set(reserved.utf8)
        func malformed() -> JSONataError {
            JSONataError("D3140", value: .string(s), extra: ["functionName": name])
        }
        while i < bytes.count {
            if bytes[i] == 0x25 {
                guard i + 2 < bytes.count, let b = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) else {
                    throw malformed()
                }
                if keep.contains(b) { out.append(contentsOf: bytes[i...(i + 2)]) } else { out.append(b) }
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        guard let decoded = String(validating: out, as: UTF8.self) else { throw malformed() }
        return .string(decoded)
    }
}
