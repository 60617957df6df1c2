/// libFuzzer entry for the CSV tokenizer, compiled together with CSVTokenizer.swift and
/// TextEncoding.swift. The first byte picks the dialect (delimiter, quote, escape, multiline) and
/// the encoding, the second the chunk size; the rest is the file. Tokenizing in chunks must give
/// the same rows as in one piece, and every field decodes or is refused (never a trap).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let config = data[0], chunk = Int(data[1] % 64) + 1
    let text = UnsafeBufferPointer(start: data + 2, count: size - 2)
    let delimiters: [UInt8] = [0x2C, 0x3B, 0x09, 0x7C]
    let escapes: [UInt8?] = [nil, 0x5C, 0x22, 0x27]
    let encodings: [TextEncoding] = [.utf8, .windows1252, .latin1]
    func tokenizer() -> CSVTokenizer {
        CSVTokenizer(delimiter: delimiters[Int(config & 3)], quote: config & 4 == 0 ? 0x22 : 0x27,
                     escape: escapes[Int(config >> 3 & 3)], multiline: config & 32 != 0)
    }
    var whole = CSVTokenizer.Rows(), pieces = CSVTokenizer.Rows()
    var one = tokenizer(), many = tokenizer()
    one.feed(text, into: &whole)
    one.finish(into: &whole)
    var start = 0
    while start < text.count {
        let end = min(text.count, start + chunk)
        many.feed(UnsafeBufferPointer(rebasing: text[start..<end]), into: &pieces)
        start = end
    }
    many.finish(into: &pieces)
    if whole.bytes != pieces.bytes || whole.ends != pieces.ends || whole.rows.count != pieces.rows.count {
        fatalError("chunked tokenizing gave other rows")
    }
    let encoding = encodings[Int(config >> 6) % 3]
    for r in 0..<whole.count {
        let row = whole.rows[r], other = pieces.rows[r]
        if row.line != other.line || row.problem != other.problem || row.fieldCount != other.fieldCount {
            fatalError("chunked tokenizing gave another row \(r)")
        }
        for field in whole.fields(r) {
            let utf8 = encoding.utf8(field)
            if encoding != .utf8, utf8 == nil { fatalError("a single-byte encoding refused bytes") }
            _ = encoding.decode(field)
        }
        _ = whole.packed(r)
    }
    return 0
}
