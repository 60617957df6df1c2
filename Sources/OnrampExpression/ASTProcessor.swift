/// Rewrites the raw parse tree into the evaluator's shape: flattened paths with stages, predicates,
/// grouping, tuple steps for `@`/`#` bindings, parent-operator slots and tail-call thunks.
struct ASTProcessor {
    private var ancestorLabel = 0
    private var ancestorIndex = 0
    private var ancestry: [ParseNode] = []
    /// Nodes already rewritten: the rewrite is not idempotent, and `?:`/`??` share a node.
    private var done: [ObjectIdentifier: ParseNode] = [:]
    /// The lowest stack address the rewrite's recursion may reach (the parser's limit).
    let stackFloor: UInt

    init(stackFloor: UInt) { self.stackFloor = stackFloor }

    mutating func process(_ expr: ParseNode) throws(JSONataError) -> ParseNode {
        if let d = done[ObjectIdentifier(expr)] { return d }
        if Evaluator.stackAddress() < stackFloor { throw Parser.tooDeep(at: expr.position) }
        let result = try rewrite(expr)
        done[ObjectIdentifier(expr)] = result
        return result
    }

    private mutating func rewrite(_ expr: ParseNode) throws(JSONataError) -> ParseNode {
        var result: ParseNode
        switch expr.kind {
        case .binary:
            result = try processBinary(expr)
        case .unary:
            result = ParseNode(.unary, position: expr.position, text: expr.text)
            if expr.text == "[" {
                result.expressions = try expr.expressions.map { (e) throws(JSONataError) -> ParseNode in
                    let v = try process(e)
                    pushAncestry(result, v)
                    return v
                }
            } else if expr.text == "{" {
                result.pairs = try processPairs(expr.pairs, into: result)
            } else {
                let inner = try process(expr.expression!)
                if expr.text == "-" && inner.kind == .number {
                    result = inner
                    result.number = -inner.number
                } else {
                    result.expression = inner
                    pushAncestry(result, inner)
                }
            }
        case .function, .partial:
            result = ParseNode(expr.kind, position: expr.position, text: expr.text)
            result.arguments = try expr.arguments.map { (a) throws(JSONataError) -> ParseNode in
                let v = try process(a)
                pushAncestry(result, v)
                return v
            }
            result.procedure = try process(expr.procedure!)
        case .lambda:
            result = ParseNode(.lambda, position: expr.position)
            result.arguments = expr.arguments
            result.signature = expr.signature
            result.body = tailCallOptimize(try process(expr.body!))
        case .condition:
            result = ParseNode(.condition, position: expr.position)
            result.condition = try process(expr.condition!)
            pushAncestry(result, result.condition!)
            result.then = try process(expr.then!)
            pushAncestry(result, result.then!)
            if let e = expr.otherwise {
                result.otherwise = try process(e)
                pushAncestry(result, result.otherwise!)
            }
        case .transform:
            result = ParseNode(.transform, position: expr.position)
            result.pattern = try process(expr.pattern!)
            result.update = try process(expr.update!)
            if let d = expr.delete { result.delete = try process(d) }
        case .block:
            result = ParseNode(.block, position: expr.position)
            result.expressions = try expr.expressions.map { (e) throws(JSONataError) -> ParseNode in
                let part = try process(e)
                pushAncestry(result, part)
                if part.consarray || (part.kind == .path && part.steps.first?.consarray == true) {
                    result.consarray = true
                }
                return part
            }
        case .name:
            result = ParseNode(.path, position: expr.position)
            result.steps = [expr]
            if expr.keepArray { result.keepSingletonArray = true }
        case .parent:
            result = ParseNode(.parent, position: expr.position)
            result.slot = ParseNode.Slot(label: "!\(ancestorLabel)", level: 1, index: ancestorIndex)
            ancestorLabel += 1
            ancestorIndex += 1
            ancestry.append(result)
        case .string, .number, .value, .wildcard, .descendant, .variable, .regex:
            result = expr
        case .op:
            if expr.text == "and" || expr.text == "or" || expr.text == "in" {
                expr.kind = .name
                result = try process(expr)
            } else if expr.text == "?" {
                result = expr
            } else {
                throw JSONataError("S0201", position: expr.position, token: expr.text)
            }
        default:
            throw JSONataError("S0206", position: expr.position, token: expr.text)
        }
        if expr.keepArray { result.keepArray = true }
        return result
    }

    private mutating func processPairs(_ pairs: [(ParseNode, ParseNode)], into result: ParseNode) throws(JSONataError) -> [(ParseNode, ParseNode)] {
        var out: [(ParseNode, ParseNode)] = []
        for (k, v) in pairs {
            let key = try process(k)
            pushAncestry(result, key)
            let value = try process(v)
            pushAncestry(result, value)
            out.append((key, value))
        }
        return out
    }

    private mutating func processBinary(_ expr: ParseNode) throws(JSONataError) -> ParseNode {
        switch expr.text {
        case ".":
            let lstep = try process(expr.lhs!)
            let result: ParseNode
            if lstep.kind == .path {
                result = lstep
            } else {
                result = ParseNode(.path, position: lstep.position)
                result.steps = [lstep]
            }
            if lstep.kind == .parent { result.seekingParent = [lstep.slot!] }
            let rest = try process(expr.rhs!)
            if rest.kind == .path {
                result.steps.append(contentsOf: rest.steps)
            } else {
                if let p = rest.predicate {
                    rest.stages = p
                    rest.predicate = nil
                }
                result.steps.append(rest)
            }
            for step in result.steps {
                if step.kind == .number || step.kind == .value {
                    throw JSONataError("S0213", position: step.position, value: step.literal.shownValue)
                }
                if step.kind == .string { step.kind = .name }
            }
            if result.steps.contains(where: { $0.keepArray }) { result.keepSingletonArray = true }
            if let first = result.steps.first, first.kind == .unary, first.text == "[" { first.consarray = true }
            if let last = result.steps.last, last.kind == .unary, last.text == "[" { last.consarray = true }
            try resolveAncestry(result)
            return result
        case "[":
            let result = try process(expr.lhs!)
            var step = result
            var usesStages = false
            if result.kind == .path {
                step = result.steps[result.steps.count - 1]
                usesStages = true
            }
            if step.groupPairs != nil { throw JSONataError("S0209", position: expr.position) }
            let predicate = try process(expr.rhs!)
            if let seeking = predicate.seekingParent {
                for slot in seeking {
                    if slot.level == 1 { _ = try seekParent(step, slot) } else { slot.level -= 1 }
                }
                pushAncestry(step, predicate)
            }
            let filter = ParseNode(.filter, position: expr.position)
            filter.expression = predicate
            if usesStages { step.stages = (step.stages ?? []) + [filter] } else { step.predicate = (step.predicate ?? []) + [filter] }
            return result
        case "{":
            let result = try process(expr.lhs!)
            if result.groupPairs != nil { throw JSONataError("S0210", position: expr.position) }
            var pairs: [(ParseNode, ParseNode)] = []
            for (k, v) in expr.pairs { pairs.append((try process(k), try process(v))) }
            result.groupPairs = pairs
            result.groupPosition = expr.position
            return result
        case "^":
            var result = try process(expr.lhs!)
            if result.kind != .path {
                let p = ParseNode(.path, position: result.position)
                p.steps = [result]
                result = p
            }
            let sortStep = ParseNode(.sort, position: expr.position)
            for term in expr.terms {
                let e = try process(term.expression)
                pushAncestry(sortStep, e)
                sortStep.terms.append(ParseNode.SortTerm(descending: term.descending, expression: e))
            }
            result.steps.append(sortStep)
            try resolveAncestry(result)
            return result
        case ":=":
            let result = ParseNode(.bind, position: expr.position, text: expr.text)
            result.lhs = try process(expr.lhs!)
            result.rhs = try process(expr.rhs!)
            pushAncestry(result, result.rhs!)
            return result
        case "@":
            let result = try process(expr.lhs!)
            var step = result
            if result.kind == .path { step = result.steps[result.steps.count - 1] }
            if step.stages != nil || step.predicate != nil { throw JSONataError("S0215", position: expr.position) }
            if step.kind == .sort { throw JSONataError("S0216", position: expr.position) }
            if expr.keepArray { step.keepArray = true }
            step.focus = expr.rhs!.text
            step.tuple = true
            return result
        case "#":
            var result = try process(expr.lhs!)
            var step = result
            if result.kind == .path {
                step = result.steps[result.steps.count - 1]
            } else {
                result = ParseNode(.path, position: step.position)
                result.steps = [step]
                if let p = step.predicate {
                    step.stages = p
                    step.predicate = nil
                }
            }
            if step.stages == nil {
                step.indexVariable = expr.rhs!.text
            } else {
                let stage = ParseNode(.index, position: expr.position, text: expr.rhs!.text)
                step.stages!.append(stage)
            }
            step.tuple = true
            return result
        case "~>":
            let result = ParseNode(.apply, position: expr.position, text: expr.text)
            result.lhs = try process(expr.lhs!)
            result.rhs = try process(expr.rhs!)
            result.keepArray = result.lhs!.keepArray || result.rhs!.keepArray
            return result
        default:
            let result = ParseNode(.binary, position: expr.position, text: expr.text)
            result.lhs = try process(expr.lhs!)
            result.rhs = try process(expr.rhs!)
            pushAncestry(result, result.lhs!)
            pushAncestry(result, result.rhs!)
            return result
        }
    }

    private func tailCallOptimize(_ expr: ParseNode) -> ParseNode {
        if expr.kind == .function && expr.predicate == nil {
            let thunk = ParseNode(.lambda, position: expr.position)
            thunk.thunk = true
            thunk.body = expr
            return thunk
        }
        if expr.kind == .condition {
            expr.then = expr.then.map(tailCallOptimize)
            expr.otherwise = expr.otherwise.map(tailCallOptimize)
        } else if expr.kind == .block, let last = expr.expressions.last {
            expr.expressions[expr.expressions.count - 1] = tailCallOptimize(last)
        }
        return expr
    }

    private mutating func seekParent(_ node: ParseNode, _ slotIn: ParseNode.Slot) throws(JSONataError) -> ParseNode.Slot {
        var slot = slotIn
        switch node.kind {
        case .name, .wildcard:
            slot.level -= 1
            if slot.level == 0 {
                if let existing = node.ancestor {
                    ancestry[slot.index].slot!.label = existing.label
                }
                node.ancestor = slot
                node.tuple = true
            }
        case .parent:
            slot.level += 1
        case .block:
            if let last = node.expressions.last {
                node.tuple = true
                slot = try seekParent(last, slot)
            }
        case .path:
            node.tuple = true
            var index = node.steps.count - 1
            slot = try seekParent(node.steps[index], slot)
            index -= 1
            while slot.level > 0 && index >= 0 {
                slot = try seekParent(node.steps[index], slot)
                index -= 1
            }
        default:
            throw JSONataError("S0217", position: node.position, token: node.kind.rawValue)
        }
        return slot
    }

    private func pushAncestry(_ result: ParseNode, _ value: ParseNode) {
        guard value.seekingParent != nil || value.kind == .parent else { return }
        var slots = value.seekingParent ?? []
        if value.kind == .parent { slots.append(value.slot!) }
        result.seekingParent = (result.seekingParent ?? []) + slots
    }

    private mutating func resolveAncestry(_ path: ParseNode) throws(JSONataError) {
        let last = path.steps[path.steps.count - 1]
        var slots = last.seekingParent ?? []
        if last.kind == .parent { slots.append(last.slot!) }
        for var slot in slots {
            var index = path.steps.count - 2
            while slot.level > 0 {
                if index < 0 {
                    path.seekingParent = (path.seekingParent ?? []) + [slot]
                    break
                }
                var step = path.steps[index]
                index -= 1
                while index >= 0 && step.focus != nil && path.steps[index].focus != nil {
                    step = path.steps[index]
                    index -= 1
                }
                slot = try seekParent(step, slot)
            }
        }
    }
}
