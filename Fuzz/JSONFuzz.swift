import OnrampCore

/// libFuzzer entry for the JSON parser: any bytes are an error or a value; a value written back as
/// JSON parses to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    let text = JSONWriter.string(value)
    // Numbers outside JSON's range (1e999) are written as null, so only finite documents round-trip.
    guard let again = try? JSONParser.parse(text), hasOnlyFiniteNumbers(value) else { return 0 }
    if again != value { fatalError("round trip changed the value: \(text)") }
    return 0
}

private func hasOnlyFiniteNumbers(_ v: Value) -> Bool {
    switch v {
    case .number(let n): return n.isFinite
    case .array(let xs): return xs.allSatisfy(hasOnlyFiniteNumbers)
    case .object(let o): return o.values.allSatisfy(hasOnlyFiniteNumbers)
    default: return true
    }
}
