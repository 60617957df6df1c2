import OnrampCore

/// Paths: steps over sequences, the simple-path loop, field steps read from input JSON, tuple
/// streams and sort steps.
extension Evaluator {
    func evaluatePath(_ expr: Node, _ input: JValue, _ env: Frame) throws -> JValue {
        if expr.isSimplePath { return try evaluateSimplePath(expr, input, env) }
        // The next step's input: the path's input, then each step's result (unless the step binds
        // a focus). A first step that is a variable takes an input array as one item.
        var current = input
        var asItem = expr.steps[0].kind == .variable
        func inputSequence() -> JArray {
            if !asItem, let a = current.arrayValue { return a }
            return JArray([current], sequence: true)
        }
        // A last step's single result need not be wrapped in a sequence when nothing asks to keep it one.
        let bareSingleton = !expr.keepArray && !expr.keepSingletonArray && expr.groupPairs == nil
        var resultSequence: JValue = .undefined
        var isTupleStream = false
        var tupleBindings: JArray?
        for (ii, step) in expr.steps.enumerated() {
            if step.tuple { isTupleStream = true }
            let lastStep = ii == expr.steps.count - 1
            if ii == 0 && step.consarray {
                resultSequence = try evaluate(step, .array(inputSequence()), env)
            } else if isTupleStream {
                tupleBindings = try evaluateTupleStep(step, inputSequence(), tupleBindings, env)
            } else if step.kind == .sort {
                resultSequence = try evaluateSortStep(step, inputSequence(), env)
            } else {
                resultSequence = try stepOver(step, current, asItem: asItem, lastStep: lastStep, bare: !lastStep || bareSingleton, env)
            }
            if !isTupleStream {
                if resultSequence.isUndefined || resultSequence.arrayCount == 0 { break }
            }
            if step.focus == nil {
                current = resultSequence
                asItem = false
            }
        }
        if isTupleStream {
            if expr.tuple {
                resultSequence = tupleBindings.map { .array($0) } ?? .undefined
            } else {
                let seq = JArray([], sequence: true)
                for t in tupleBindings?.items ?? [] { seq.append(t.objectValue?["@"] ?? .undefined) }
                resultSequence = .array(seq)
            }
        }
        if expr.keepSingletonArray {
            if case .jsonArray = resultSequence, let copy = resultSequence.arrayValue { resultSequence = .array(copy) }
            if case .array(let a) = resultSequence {
                var arr = a
                if a.cons && !a.sequence {
                    arr = JArray([resultSequence], sequence: true)
                }
                arr.keepSingleton = true
                resultSequence = .array(arr)
            } else if !resultSequence.isUndefined {
                let arr = JArray([resultSequence], sequence: true)
                arr.keepSingleton = true
                resultSequence = .array(arr)
            }
        }
        if let group = expr.groupPairs {
            resultSequence = try evaluateGroup(group, constantKeys: expr.constantGroupKeys, position: expr.groupPosition,
                                               isTupleStream ? (tupleBindings.map { .array($0) } ?? .undefined) : resultSequence, env)
        }
        return resultSequence
    }

    /// `evaluatePath` for a simple path: each step maps the previous step's items.
    private func evaluateSimplePath(_ expr: Node, _ input: JValue, _ env: Frame) throws -> JValue {
        let steps = expr.steps
        let last = steps.count - 1
        // The first step reads the input where it is; only results are held.
        var current = try simpleStep(steps[0], input, first: true, last: last == 0, env)
        var i = 1
        while i <= last, !current.isUndefined, current.arrayCount != 0 {
            current = try simpleStep(steps[i], current, first: false, last: i == last, env)
            i += 1
        }
        return current
    }

    /// One step of a simple path over the previous step's result (`first`: over the path's input).
    @inline(__always)
    private func simpleStep(_ step: Node, _ value: JValue, first: Bool, last: Bool, _ env: Frame) throws -> JValue {
        if step.isPlainName, let next = Self.plainNameStep(step.text, value, lastStep: last) { return next }
        return try stepOver(step, value, asItem: first && step.kind == .variable, lastStep: last, bare: true, env)
    }

    /// One step over the items of `value`: an array's members, or `value` itself when it is not an
    /// array or `asItem` says to take it whole.
    @inline(__always)
    private func stepOver(_ step: Node, _ value: JValue, asItem: Bool, lastStep: Bool, bare: Bool, _ env: Frame) throws -> JValue {
        switch value {
        case .array(let a) where !asItem:
            return try evaluateStep(step, a.items, env, lastStep: lastStep, bare: bare)
        case .jsonArray(let xs) where !asItem:
            return try evaluateStep(step, xs.lazy.map(JValue.init), env, lastStep: lastStep, bare: bare)
        default:
            return try evaluateStep(step, CollectionOfOne(value), env, lastStep: lastStep, bare: bare)
        }
    }

    /// A plain field-name step over input JSON, as `evaluateStep` would give it, read straight from
    /// the `Value`s; undefined stands for an empty result. Nil when the input is not an input object
    /// or an array of input objects (the general step handles those).
    private static func plainNameStep(_ name: String, _ current: JValue, lastStep: Bool) -> JValue? {
        switch current {
        case .jsonObject(let o):
            guard let v = JObject.value(in: o, forKey: name) else { return .undefined }
            if case .array(let xs) = v, xs.isEmpty, !lastStep { return .undefined }
            return JValue(v)
        case .jsonArray(let xs):
            // The flattened values are input JSON too, so they make a JSON array: to every later
            // step and function it reads as the sequence would, and it is output without a copy.
            var items: [Value] = []
            var only: Value?
            var count = 0
            // Items are read in place (a loop over the array would copy each object it passes).
            let mixed = xs.withUnsafeBufferPointer { buffer in
                for i in buffer.indices {
                    switch buffer[i] {
                    case .object(let o):
                        guard let v = JObject.value(in: o, forKey: name) else { continue }
                        count += 1
                        if count == 1 {
                            only = v
                            continue
                        }
                        if count == 2 {
                            items.reserveCapacity(buffer.count)
                            appendFlattened(only!, to: &items)
                        }
                        appendFlattened(v, to: &items)
                    case .array: return true
                    default: continue
                    }
                }
                return false
            }
            if mixed { return nil }
            guard count == 1, let only else { return count == 0 || items.isEmpty ? .undefined : .jsonArray(items) }
            if case .array(let a) = only {
                if lastStep { return .jsonArray(a) }
                return a.isEmpty ? .undefined : .jsonArray(a)
            }
            return JValue(only)
        default:
            return nil
        }
    }

    private static func appendFlattened(_ v: Value, to items: inout [Value]) {
        if case .array(let a) = v { items.append(contentsOf: a) } else { items.append(v) }
    }

    /// What `evaluate` gives for a plain field-name step: the lookup, a sequence of one unwrapped.
    private static func lookupName(_ input: JValue, _ name: String) -> JValue {
        Functions.lookup(input, name).unwrappingSequence()
    }

    private func evaluateSortStep(_ expr: Node, _ input: JArray, _ env: Frame) throws -> JValue {
        var result = try evaluateSort(expr, .array(input), env)
        if let stages = expr.stages { result = try evaluateStages(stages, result, env) }
        return result
    }

    /// One step over every item of its input sequence. With `bare`, a single non-array result is
    /// returned as it is rather than as a sequence of one.
    private func evaluateStep<Items: Collection<JValue>>(_ expr: Node, _ input: Items, _ env: Frame, lastStep: Bool, bare: Bool) throws -> JValue {
        // The step's results, flattened one level unless constructed with `[...]`; a single result
        // is kept as it is until a second one arrives. While every result is plain JSON they are
        // collected as `Value`s: two or more of them make a JSON array, which reads as the sequence
        // would and is output without a copy.
        var items: [JValue] = []
        var json: [Value] = []
        var jsonOnly = true
        var resultCount = 0
        var onlyResult: JValue = .undefined
        func add(_ res: JValue) {
            if jsonOnly {
                if case .jsonArray(let xs) = res {
                    json.append(contentsOf: xs)
                    return
                }
                if let v = res.plainJSON {
                    json.append(v)
                    return
                }
                jsonOnly = false
                items = json.map(JValue.init)
                json = []
            }
            switch res {
            case .array(let a) where !a.cons: items.append(contentsOf: a.items)
            case .jsonArray(let xs): for x in xs { items.append(JValue(x)) }
            default: items.append(res)
            }
        }
        let stages = expr.stages
        let isPlainName = expr.isPlainName
        for item in input {
            var res = isPlainName ? Self.lookupName(item, expr.text) : try evaluate(expr, item, env)
            if let stages {
                for s in stages { res = try evaluateFilter(s.expression!, res, env) }
            }
            if res.isUndefined { continue }
            resultCount += 1
            if resultCount == 1 {
                onlyResult = res
                continue
            }
            if resultCount == 2 {
                // Guess the size from the first result, so flattening rarely regrows the array.
                var first = 1
                if case .array(let a) = onlyResult, !a.cons { first = a.items.count }
                if case .jsonArray(let xs) = onlyResult { first = xs.count }
                json.reserveCapacity(input.count * Swift.max(first, 1))
                add(onlyResult)
            }
            add(res)
        }
        if resultCount == 1 {
            if case .array(let a) = onlyResult {
                if lastStep && !a.sequence { return onlyResult }
                // An intermediate step's one array feeds the next step item by item, as its flattening would.
                if !lastStep && !a.cons && !a.items.isEmpty { return onlyResult }
            } else if case .jsonArray(let xs) = onlyResult {
                if lastStep || !xs.isEmpty { return onlyResult }
            } else if bare {
                return onlyResult
            }
            add(onlyResult)
        }
        if jsonOnly {
            // One value stays a sequence, which unwraps to it; so does none. Arrays and objects go into an
            // evaluator array, which counts how deep values nest (see `evaluateObject`).
            if json.count >= 2, !json.contains(where: \.isContainer) { return .jsonArray(json) }
            items = json.map(JValue.init)
        }
        return .array(JArray(items, sequence: true))
    }

    private func evaluateStages(_ stages: [Node], _ input: JValue, _ env: Frame) throws -> JValue {
        var result = input
        for stage in stages {
            switch stage.kind {
            case .filter:
                result = try evaluateFilter(stage.expression!, result, env)
            case .index:
                if case .array(let a) = result {
                    for (i, t) in a.items.enumerated() { t.objectValue?[stage.text] = .number(Double(i)) }
                }
            default: break
            }
        }
        return result
    }

    private func evaluateTupleStep(_ expr: Node, _ input: JArray, _ tupleBindings: JArray?, _ env: Frame) throws -> JArray {
        if expr.kind == .sort {
            var result: JValue
            if let tb = tupleBindings {
                result = try evaluateSort(expr, .array(tb), env)
            } else {
                let sorted = try evaluateSort(expr, .array(input), env)
                let r = JArray([], sequence: true)
                r.tupleStream = true
                for (i, item) in (sorted.arrayValue?.items ?? []).enumerated() {
                    let t = JObject(["@": item])
                    if let iv = expr.indexVariable { t[iv] = .number(Double(i)) }
                    r.append(.object(t))
                }
                result = .array(r)
            }
            if let stages = expr.stages { result = try evaluateStages(stages, result, env) }
            return result.arrayValue ?? JArray()
        }
        let result = JArray([], sequence: true)
        result.tupleStream = true
        let bindings = tupleBindings ?? JArray(input.items.map { .object(JObject(["@": $0])) })
        for tb in bindings.items {
            guard let tuple = tb.objectValue else { continue }
            let stepEnv = Frame.fromTuple(env, tuple)
            let res = try evaluate(expr, tuple["@"], stepEnv)
            if res.isUndefined { continue }
            let items: [JValue]
            var resIsTupleStream = false
            if let a = res.arrayValue { items = a.items; resIsTupleStream = a.tupleStream } else { items = [res] }
            for (bb, item) in items.enumerated() {
                let t = JObject(tuple.fields)
                if resIsTupleStream {
                    if let o = item.objectValue { for (k, v) in o.fields { t.fields[k] = v } }
                } else {
                    if let focus = expr.focus {
                        t[focus] = item
                        t["@"] = tuple["@"]
                    } else {
                        t["@"] = item
                    }
                    if let iv = expr.indexVariable { t[iv] = .number(Double(bb)) }
                    if let anc = expr.ancestor { t[anc.label] = tuple["@"] }
                }
                result.append(.object(t))
            }
        }
        if let stages = expr.stages {
            return try evaluateStages(stages, .array(result), env).arrayValue ?? JArray()
        }
        return result
    }
}
