/// Path arithmetic on strings. Foundation's `NSString.deletingLastPathComponent` traps on one-character relative
/// paths on Linux ("a", ".", "x/"), so a path a person typed goes through here instead.
public enum PathText {
    /// The path without its last component, as `deletingLastPathComponent` answers: "a/b" → "a", "/a" → "/",
    /// "a" → "", "a/b/" → "a", "/" → "/".
    public static func parent(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return "" }
        var head = p[..<slash]
        while head.hasSuffix("/") { head = head.dropLast() }
        return head.isEmpty ? "/" : String(head)
    }
}
