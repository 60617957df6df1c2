import Foundation
import OnrampCore

/// A compiled JSONata expression: immutable and `Sendable`, evaluated any number of times,
/// concurrently if need be.
///
/// ```swift
/// let expr = try JSONata("Account.Order.Product.(Price * Quantity) ~> $sum()")
/// let total = try expr.evaluate(input)
/// ```
public struct JSONata: Sendable {
    /// Guardrails for one evaluation: exceeding any fails with `U1001`.
    public struct Limits: Sendable {
        public var maxDepth: Int
        /// Stack the evaluation may use below its caller's frame, whatever the depth: 384 KiB leaves a
        /// 512 KiB thread 128 KiB for its callers. Debug builds' frames are many times larger: 6 MiB.
        /// Compiling an expression has the same budget.
        public var maxStackBytes: Int
        public var timeout: Duration? {
            didSet { timeoutNanoseconds = Self.nanoseconds(timeout) }
        }
        /// `timeout` in nanoseconds, worked out once rather than on every evaluation.
        private(set) var timeoutNanoseconds: UInt64?
        public init(maxDepth: Int = 500, timeout: Duration? = .seconds(10),
                    maxStackBytes: Int = Limits.defaultStackBytes) {
            self.maxDepth = maxDepth
            self.maxStackBytes = maxStackBytes
            self.timeout = timeout
            timeoutNanoseconds = Self.nanoseconds(timeout)
        }
        private static func nanoseconds(_ d: Duration?) -> UInt64? {
            d.map { UInt64(max(0, $0.components.seconds)) * 1_000_000_000 + UInt64(max(0, $0.components.attoseconds / 1_000_000_000)) }
        }
        public static let `default` = Limits()
        #if DEBUG
        public static let defaultStackBytes = 6 << 20
        #else
        public static let defaultStackBytes = 384 << 10
        #endif
    }

    /// Extra native functions, callable as `$name(...)`. Arguments and result are JSON values; a
    /// missing (undefined) argument or result is `nil`.
    public struct FunctionRegistry: Sendable {
        public typealias Function = @Sendable ([Value?]) throws -> Value?
        /// The function value evaluations bind; immutable, built once at registration.
        struct Entry: @unchecked Sendable { let value: JValue }
        /// The registered functions in one hashed frame below the library, so an evaluation binds nothing.
        final class Scope: @unchecked Sendable {
            let frame: Frame
            init(_ entries: [String: Entry]) { frame = Frame(fixed: entries.mapValues(\.value), parent: FunctionLibrary.root) }
        }
        var entries: [String: Entry] = [:] { didSet { scope = Scope(entries) } }
        private(set) var scope: Scope?
        /// The registered bodies, for callers in Swift (a step calling a cleansing function without an expression).
        private var bodies: [String: Function] = [:]
        public init() {}

        /// The registered function `name`, called directly (no signature check: the caller passes what it takes).
        public func function(_ name: String) -> Function? { bodies[name] }

        /// Registers `$name`; `signature` uses JSONata's syntax (for example `<s-:s>`) and is validated on every call.
        /// A malformed signature is a programming error and stops the process.
        public mutating func register(_ name: String, signature: String? = nil, arity: Int = 1, _ body: @escaping Function) {
            var parsed: Signature?
            if let signature {
                do { parsed = try Signature(signature) } catch { preconditionFailure("bad signature \(signature) for $\(name): \(error.message)") }
            }
            entries[name] = Entry(value: .function(JFunction.external(signature: parsed, arity: arity, body: body)))
            bodies[name] = body
        }
    }

    public let source: String
    let ast: Node

    public init(_ source: String) throws(JSONataError) {
        self.source = source
        ast = try Parser.parse(source)
    }

    /// The field this expression reads when it is nothing but a field name (`order_no`): against an
    /// object whose field holds a scalar, the result is that scalar.
    public var fieldName: String? { ast.isFieldLookup ? ast.fieldKey : nil }

    /// Evaluates against `input` (nil: no input at all). Returns nil when the result is undefined.
    public func evaluate(_ input: Value?, bindings: [String: Value] = [:], functions: FunctionRegistry = FunctionRegistry(),
                         limits: Limits = .default) throws(JSONataError) -> Value? {
        do {
            let result = try evaluateInternal(JValue(input), bindings: bindings, functions: functions, limits: limits)
            return try result.toValue()
        } catch let e as JSONataError {
            throw e
        } catch {
            throw JSONataError("D1001", extra: ["message": "\(error)"])
        }
    }

    func evaluateInternal(_ inputValue: JValue, bindings: [String: Value], functions: FunctionRegistry, limits: Limits) throws -> JValue {
        let input = inputValue.asEvaluationInput
        let evaluator = Evaluator(limits: limits)
        let env = Frame(parent: functions.scope?.frame ?? FunctionLibrary.root)
        for (k, v) in bindings { env.bind(k, JValue(v)) }
        if !input.isUndefined { env.bind("$", input) }
        var result = try evaluator.evaluate(ast, input, env)
        if case .array(let a) = result, a.sequence {
            if a.items.count == 1 && !a.keepSingleton { result = a.items[0] } else if a.items.isEmpty { result = .undefined }
        }
        return result
    }
}

extension JFunction {
    static func external(signature: Signature?, arity: Int, body: @escaping JSONata.FunctionRegistry.Function) -> JFunction {
        JFunction(.native(name: "external", implementation: { _, args, _ in
            do {
                return JValue(try body(args.map { try $0.toValue() }))
            } catch let e as JSONataError {
                throw e
            } catch let e as OnrampError {
                // The function's own code (clean.decimal) stays: error reports group by it.
                throw JSONataError(e.code, extra: ["message": e.message])
            } catch {
                throw JSONataError("D3137", extra: ["message": "\(error)"])
            }
        }), signature: signature, arity: arity)
    }
}
