import OnrampDeploy
import Testing

@Suite struct LineDiffTests {
    @Test func oneChangedLineIsAHunkWithItsContext() {
        let before = (1...10).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let after = before.replacingOccurrences(of: "line 5\n", with: "line five\n")
        #expect(
            LineDiff.unified(before, after) == [
                "@@ -2,7 +2,7 @@", " line 2", " line 3", " line 4", "-line 5", "+line five",
                " line 6", " line 7", " line 8",
            ])
    }

    @Test func farApartChangesAreTwoHunksAndNoChangeIsNoHunk() {
        let before = (1...30).map { "l\($0)" }.joined(separator: "\n")
        let after = before.replacingOccurrences(of: "l2\n", with: "x\n").replacingOccurrences(of: "l28\n", with: "y\n")
        #expect(LineDiff.unified(before, after).filter { $0.hasPrefix("@@") }.count == 2)
        #expect(LineDiff.unified(before, before).isEmpty)
        #expect(LineDiff.unified("", "a\nb\n") == ["@@ -0,0 +1,2 @@", "+a", "+b"])
    }
}
