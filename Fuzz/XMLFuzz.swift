/// libFuzzer entry for the XML tokenizer, compiled together with XMLTokenizer.swift and
/// XMLTokenizer+Scanning.swift. The first byte picks the chunk size, the rest is the document. Tokenizing in
/// chunks must give the same events and the same failure (code, line, column) as in one piece; a recoverable
/// failure is stepped over; the tokenizer never traps and always ends.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXML(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let chunk = Int(data[0] % 64) + 1
    let text = UnsafeBufferPointer(start: data + 1, count: size - 1)
    func run(_ chunk: Int) -> [String] {
        var t = XMLTokenizer(maxDepth: 20, maxTokenBytes: 1 << 20)  // above -max_len: size caps are unit-tested
        var out: [String] = []
        var start = 0
        for _ in 0..<(4 * size + 16) {
            do {
                while let e = try t.next() { out.append("\(e)") }
            } catch {
                out.append("failure \(error.code) \(error.line):\(error.column) \(error.recoverable)")
                if !error.recoverable { return out }
                continue
            }
            guard t.needsInput else { return out }
            if start < text.count {
                let end = min(text.count, start + chunk)
                t.feed(UnsafeBufferPointer(rebasing: text[start..<end]))
                start = end
            } else {
                t.finish()
            }
        }
        fatalError("the tokenizer did not end")
    }
    let whole = run(text.count + 1), pieces = run(chunk)
    if whole != pieces { fatalError("chunked tokenizing gave other events:\n\(whole)\n\(pieces)") }
    return 0
}
