extension Value {
    /// The largest count `countValue` takes.
    public static let maxCount = 1_000_000_000_000

    /// A whole number from 0 to `maxCount` as an `Int`; nil for anything else (a count from a peer never traps).
    public var countValue: Int? {
        guard let n = numberValue, n >= 0, n <= Double(Self.maxCount), n.rounded() == n else { return nil }
        return Int(n)
    }
}
