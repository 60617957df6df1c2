import Foundation

/// The built-in functions, bound in the outermost frame of every evaluation.
enum FunctionLibrary {
    struct Entry {
        let signature: String
        let arity: Int
        let implementation: NativeImplementation
    }

    nonisolated(unsafe) static let functions: [String: JFunction] = {
        var table: [String: JFunction] = [:]
        for (name, e) in StringFunctions.entries.merging(ArrayFunctions.entries, uniquingKeysWith: { a, _ in a })
            .merging(NumericFunctions.entries, uniquingKeysWith: { a, _ in a })
            .merging(ObjectFunctions.entries, uniquingKeysWith: { a, _ in a })
            .merging(DateTimeFunctions.entries, uniquingKeysWith: { a, _ in a }) {
            let sig: Signature
            do { sig = try Signature(e.signature) } catch { fatalError("bad built-in signature \(e.signature) for \(name)") }
            table[name] = JFunction(.native(name: name, implementation: e.implementation), signature: sig, arity: e.arity)
        }
        return table
    }()

    /// The shared outermost frame; evaluations bind into child frames and never write to it.
    nonisolated(unsafe) static let root = Frame(root: functions.mapValues { .function($0) })
}

extension Frame {
    func bind(_ name: String, _ fn: JFunction) { bind(name, .function(fn)) }
}

/// Argument access helpers for native implementations.
extension Array where Element == JValue {
    func at(_ i: Int) -> JValue { i < count ? self[i] : .undefined }
}
