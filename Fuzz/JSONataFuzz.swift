import Foundation
import OnrampCore
import OnrampExpression

/// libFuzzer entry for JSONata: the input is an expression, optionally followed by a NUL byte and
/// a JSON document to evaluate it against. Compile errors, evaluation errors and results are all
/// fine; a trap, a stack overflow, a hang (libFuzzer's -timeout) or running out of memory is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONata(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: 0) ?? size
    let source = String(decoding: bytes[..<split], as: UTF8.self)
    var input: Value? = ["Account": ["Order": [["Product": [["Price": 34.45, "Quantity": 2, "SKU": "0406654608"]]]]]]
    if split < size {
        input = try? JSONParser.parse(Array(bytes[(split + 1)...]))
    }
    guard let expression = try? JSONata(source) else { return 0 }
    let limits = JSONata.Limits(maxDepth: 500, timeout: .milliseconds(100))
    if let result = try? expression.evaluate(input, limits: limits) {
        _ = JSONWriter.string(result)
    }
    return 0
}
