/// Glob matching on object keys: `*` and `?` stay within one `/`-separated segment, `**` crosses
/// segments, `[abc]`/`[a-z]`/`[!a]` match one character of a set.
enum S3Glob {
    static func matches(_ pattern: String, _ key: String) -> Bool {
        match(Array(pattern.unicodeScalars)[...], Array(key.unicodeScalars)[...])
    }

    private static func match(_ p: ArraySlice<Unicode.Scalar>, _ s: ArraySlice<Unicode.Scalar>) -> Bool {
        var p = p, s = s
        while let c = p.first {
            switch c {
            case "*":
                let double = p.dropFirst().first == "*"
                let rest = p.dropFirst(double ? 2 : 1)
                // `**/` also matches no folder at all.
                if double, rest.first == "/", match(rest.dropFirst(), s) { return true }
                var i = s.startIndex
                while true {
                    if match(rest, s[i...]) { return true }
                    guard i < s.endIndex, double || s[i] != "/" else { return false }
                    i += 1
                }
            case "?":
                guard let x = s.first, x != "/" else { return false }
                p = p.dropFirst()
                s = s.dropFirst()
            case "[":
                guard let x = s.first, let close = p.dropFirst(2).firstIndex(of: "]") else {
                    if s.first != "[" { return false }
                    p = p.dropFirst()
                    s = s.dropFirst()
                    continue
                }
                var set = p[(p.startIndex + 1)..<close]
                let negated = set.first == "!" || set.first == "^"
                if negated { set = set.dropFirst() }
                var found = false
                var j = set.startIndex
                while j < set.endIndex {
                    if j + 2 < set.endIndex, set[j + 1] == "-" {
                        if set[j].value <= x.value && x.value <= set[j + 2].value { found = true }
                        j += 3
                    } else {
                        if set[j] == x { found = true }
                        j += 1
                    }
                }
                guard found != negated, x != "/" else { return false }
                p = p[(close + 1)...]
                s = s.dropFirst()
            default:
                guard s.first == c else { return false }
                p = p.dropFirst()
                s = s.dropFirst()
            }
        }
        return s.isEmpty
    }
}
