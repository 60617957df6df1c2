import Foundation

extension Evaluator {
    func evaluateFunction(_ expr: Node, _ input: JValue, _ env: Frame, applyTo: JValue?) throws -> JValue {
        let procedure = expr.procedure!
        // `$name(...)`: the name is looked up directly, without a node evaluation around it.
        let proc = procedure.kind == .variable && !procedure.text.isEmpty && !procedure.hasTrailers
            ? env.lookup(variable: procedure)
            : try evaluate(procedure, input, env)
        var procName: String { procedure.kind == .path ? procedure.steps[0].text : procedure.text }
        if proc.isUndefined, procedure.kind == .path, !env.lookup(procName).isUndefined {
            throw JSONataError("T1005", position: expr.position, token: procName)
        }
        // Argument lists come from a pool: an array the callee kept is copied on the next write, not reused.
        var args = argumentPool.popLast() ?? newArgumentList()
        defer {
            while !args.isEmpty { args.removeLast() }
            argumentPool.append(args)
        }
        if let applyTo { args.append(applyTo) }
        for a in expr.arguments { args.append(try evaluate(a, input, env)) }
        do {
            guard case .function(let f) = proc else { throw JSONataError("T1006", position: expr.position, token: procName) }
            return try apply(f, args, input: input, env: env)
        } catch var e as JSONataError {
            if e.position == nil { e.position = expr.position }
            if e.token == nil { e.token = procName }
            throw e
        }
    }

    /// An argument list for the pool, with room for the usual number of arguments; the pool itself
    /// gets room for a few levels of nested calls at the first.
    private func newArgumentList() -> [JValue] {
        if argumentPool.capacity == 0 { argumentPool.reserveCapacity(8) }
        var list: [JValue] = []
        list.reserveCapacity(4)
        return list
    }

    /// Applies a function, running tail calls in a loop so deep tail recursion does not grow the stack.
    func apply(_ proc: JFunction, _ args: [JValue], input: JValue, env: Frame) throws -> JValue {
        var result = try applyInner(proc, args, input: input, env: env)
        while case .function(let f) = result, case .lambda(let body, _, let tinput, let tenv, true) = f.kind {
            let next = try evaluate(body.procedure!, tinput, tenv)
            var evaluated: [JValue] = []
            for a in body.arguments { evaluated.append(try evaluate(a, tinput, tenv)) }
            guard case .function(let nf) = next else {
                let name = body.procedure!.kind == .path ? body.procedure!.steps[0].text : body.procedure!.text
                throw JSONataError("T1006", position: body.position, token: name)
            }
            result = try applyInner(nf, evaluated, input: input, env: env)
        }
        return result
    }

    func applyInner(_ proc: JFunction, _ args: [JValue], input: JValue, env: Frame) throws -> JValue {
            let validated = try proc.signature?.validate(args, context: input) ?? args
            switch proc.kind {
            case .lambda(let body, let params, let linput, let lenv, _):
                let frame = Frame(parent: lenv)
                for (i, p) in params.enumerated() { frame.bind(p, i < validated.count ? validated[i] : .undefined) }
                return try evaluate(body, linput, frame)
            case .native(_, let implementation):
                return try implementation(self, validated, CallFocus(input: input, environment: env))
            case .partialNative(let native, let bound):
                var filled: [JValue] = []
                var it = validated.makeIterator()
                for b in bound { filled.append(b ?? it.next() ?? .undefined) }
                guard case .native(_, let implementation) = native.kind else { return .undefined }
                return try implementation(self, filled, CallFocus(input: input, environment: env))
            case .regex(let re, let pattern):
                guard case .string(let s) = validated.first ?? .undefined else { return .undefined }
                return try regexMatch(re, pattern: pattern, in: s, from: 0)
            }
    }

    /// One match of a regex as JSONata's matcher contract gives it: `{match, start, end, groups, next}`.
    func regexMatch(_ re: NSRegularExpression, pattern: String, in s: String, from: Int) throws -> JValue {
        let ns = s as NSString
        guard from <= ns.length else { return .undefined }
        // The first match, with progress reports so that a pattern that backtracks for ever
        // (`/(a+)+$/` on a long line) stops at the time limit.
        var found: NSTextCheckingResult?
        var late = false
        let range = NSRange(location: from, length: ns.length - from)
        re.enumerateMatches(in: s, options: [.reportProgress], range: range) { m, _, stop in
            if let m { found = m } else if self.isPastDeadline { late = true } else { return }
            stop.pointee = true
        }
        if late { throw Evaluator.timeout }
        guard let m = found else { return .undefined }
        let o = JObject()
        o["match"] = .string(ns.substring(with: m.range))
        o["start"] = .number(Double(m.range.location))
        o["end"] = .number(Double(m.range.location + m.range.length))
        var groups: [JValue] = []
        if m.numberOfRanges > 1 {
            for i in 1..<m.numberOfRanges {
                let r = m.range(at: i)
                groups.append(r.location == NSNotFound ? .string("") : .string(ns.substring(with: r)))
            }
        }
        o["groups"] = .array(JArray(groups))
        let lastIndex = m.range.location + m.range.length
        let nextImpl: NativeImplementation = { evaluator, _, _ in
            if lastIndex >= ns.length { return .undefined }
            let next = try evaluator.regexMatch(re, pattern: pattern, in: s, from: lastIndex)
            if case .object(let n) = next, n["match"].stringValue == "" {
                throw JSONataError("D1004", value: .string(pattern))
            }
            return next
        }
        o["next"] = .function(JFunction(.native(name: "next", implementation: nextImpl), signature: nil, arity: 0))
        return .object(o)
    }

    func evaluatePartialApplication(_ expr: Node, _ input: JValue, _ env: Frame) throws -> JValue {
        var args: [JValue?] = []
        for a in expr.arguments {
            if a.kind == .op && a.text == "?" { args.append(nil) } else { args.append(try evaluate(a, input, env)) }
        }
        let proc = try evaluate(expr.procedure!, input, env)
        let procName = expr.procedure!.kind == .path ? expr.procedure!.steps[0].text : expr.procedure!.text
        if proc.isUndefined, expr.procedure!.kind == .path, !env.lookup(procName).isUndefined {
            throw JSONataError("T1007", position: expr.position, token: procName)
        }
        guard case .function(let f) = proc else {
            throw JSONataError("T1008", position: expr.position, token: procName)
        }
        switch f.kind {
        case .lambda(let body, let params, let linput, let lenv, let thunk):
            let frame = Frame(parent: lenv)
            var unbound: [String] = []
            for (i, p) in params.enumerated() {
                if i < args.count, let a = args[i] { frame.bind(p, a) } else { unbound.append(p) }
            }
            return .function(JFunction(.lambda(body: body, parameters: unbound, input: linput, environment: frame, thunk: thunk),
                                       signature: f.signature, arity: unbound.count))
        case .native:
            var bound = args
            // Only `?` leaves a parameter open; parameters not given at all are bound to undefined.
            while bound.count < f.arity { bound.append(.undefined) }
            let remaining = bound.filter { $0 == nil }.count
            return .function(JFunction(.partialNative(f, bound), signature: nil, arity: remaining))
        case .partialNative(let native, let prior):
            var it = args.makeIterator()
            var bound: [JValue?] = []
            for p in prior { bound.append(p ?? (it.next() ?? nil)) }
            return .function(JFunction(.partialNative(native, bound), signature: nil, arity: bound.filter { $0 == nil }.count))
        case .regex:
            throw JSONataError("T1008", position: expr.position, token: procName)
        }
    }

    func evaluateApply(_ expr: Node, _ input: JValue, _ env: Frame) throws -> JValue {
        let lhs = try evaluate(expr.lhs!, input, env)
        if expr.rhs!.kind == .function {
            return try evaluateFunction(expr.rhs!, input, env, applyTo: lhs)
        }
        let fn = try evaluate(expr.rhs!, input, env)
        guard case .function(let f) = fn else {
            throw JSONataError("T2006", position: expr.position, jvalue: fn)
        }
        if case .function(let first) = lhs {
            let chain: NativeImplementation = { evaluator, args, focus in
                let inner = try evaluator.apply(first, [args.first ?? .undefined], input: .undefined, env: focus.environment)
                return try evaluator.apply(f, [inner], input: .undefined, env: focus.environment)
            }
            return .function(JFunction(.native(name: "chain", implementation: chain), signature: nil, arity: 1))
        }
        return try apply(f, [lhs], input: .undefined, env: env)
    }

    /// Calls a function argument of a higher-order function with as many of (value, index, array)
    /// as it declares parameters.
    func callback(_ f: JFunction, _ value: JValue, _ index: Int, _ array: JValue, env: Frame) throws -> JValue {
        try callback(f, value, .number(Double(index)), array, env: env)
    }

    /// The same, with the second argument given (a key, for `$each` and `$sift`).
    func callback(_ f: JFunction, _ value: JValue, _ second: JValue, _ container: JValue, env: Frame) throws -> JValue {
        var args = [value]
        if f.arity >= 2 { args.append(second) }
        if f.arity >= 3 { args.append(container) }
        return try apply(f, args, input: .undefined, env: env)
    }
}
