import Foundation

/// The evaluator's view of a native function: it receives validated arguments and the call's focus.
typealias NativeImplementation = (Evaluator, [JValue], CallFocus) throws -> JValue

struct CallFocus {
    var input: JValue
    var environment: Frame
}

/// A function value: a lambda closure, a native function, a partial application or a regex matcher.
final class JFunction {
    enum Kind {
        case lambda(body: Node, parameters: [String], input: JValue, environment: Frame, thunk: Bool)
        case native(name: String, implementation: NativeImplementation)
        /// A native function with some arguments bound; `nil` marks a `?` placeholder.
        case partialNative(JFunction, [JValue?])
        case regex(NSRegularExpression, pattern: String)
    }

    let kind: Kind
    let signature: Signature?
    let arity: Int

    init(_ kind: Kind, signature: Signature?, arity: Int) {
        self.kind = kind
        self.signature = signature
        self.arity = arity
    }

    var isLambda: Bool { if case .lambda = kind { return true }; return false }
    var isThunk: Bool { if case .lambda(_, _, _, _, let t) = kind { return t }; return false }
}
