import Foundation
import OnrampCore
import Testing

/// The JSON parser's nesting limit: deeper documents are an error with line and column, and a
/// document just inside it is parsed, written and freed on a 512 KiB stack and on a task.
@Suite struct JSONNestingTests {
    static func nested(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
    }

    /// Parses and writes `text` on a thread with a small stack, as secondary threads have.
    /// Debug builds' frames are several times larger than release ones, so they get 6 MiB.
    static func onSmallStack(_ text: String) -> Result<String, JSONParser.Failure> {
        final class Box: @unchecked Sendable {
            var result: Result<String, JSONParser.Failure>?
            let done = DispatchSemaphore(value: 0)
        }
        let box = Box()
        let thread = Thread {
            box.result = Result { () throws(JSONParser.Failure) in JSONWriter.string(try JSONParser.parse(text)) }
            box.done.signal()
        }
        thread.stackSize = smallStack
        thread.start()
        box.done.wait()
        return box.result!
    }

    @Test func tooDeepIsAnErrorWithItsPosition() async {
        let text = "\n  " + Self.nested(20_000)
        for result in [Self.onSmallStack(text), await Task.detached { Self.onSmallStack(text) }.value] {
            guard case .failure(let failure) = result else { Issue.record("no error"); continue }
            #expect(failure.message.contains("512"))
            #expect(failure.line == 2 && failure.column == 515)
        }
        let objects = String(repeating: #"{"a":"#, count: 20_000)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(objects) }
    }

    @Test func justInsideTheLimitWorksOnASmallStack() async throws {
        let text = Self.nested(511)
        #expect(try Self.onSmallStack(text).get() == text)
        let onTask = try await Task.detached { try JSONWriter.string(JSONParser.parse(text)) }.value
        #expect(onTask == text)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Self.nested(512)) }
    }
}

#if DEBUG
private let smallStack = 6 << 20
#else
private let smallStack = 512 << 10
#endif
