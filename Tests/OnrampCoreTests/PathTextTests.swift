import OnrampCore
import Testing

@Suite struct PathTextTests {
    /// The answers of `deletingLastPathComponent`, including the one-character paths it traps on.
    @Test(arguments: [("a/b", "a"), ("/a", "/"), ("/", "/"), ("", ""), ("ab", ""), ("a", ""), (".", ""), ("x/", ""),
                      ("a/b/", "a"), ("/tmp/x/", "/tmp"), ("tenants/a", "tenants"), ("a//b", "a"), ("//a", "/")])
    func parentIsWhatFoundationWouldAnswer(_ path: String, _ parent: String) {
        #expect(PathText.parent(path) == parent)
    }
}
