/// The fields an expression reads from the top of its input, for lint: a mapping that names a field the source does
/// not have, or a field an earlier step set and no later one reads.
public struct InputFields: Sendable, Equatable {
    /// Each top-level field read (`order_no`; `lines` in `lines.qty`; `a` in `$.a` or `$$.a`) at the position
    /// after its name, in reading order.
    public var names: [(name: String, position: Int)]
    /// Whether the expression uses its input as a whole (`$`, `$$`, `*`, `**`): then any field may be read.
    public var wholeInput: Bool

    public static func == (a: InputFields, b: InputFields) -> Bool {
        a.wholeInput == b.wholeInput && a.names.map(\.name) == b.names.map(\.name)
            && a.names.map(\.position) == b.names.map(\.position)
    }
}

extension JSONata {
    /// The top-level fields this expression reads (see `InputFields`).
    public var inputFields: InputFields {
        var walk = Walk()
        Self.visit(ast, atRoot: true, into: &walk, depth: 0)
        return walk.out
    }

    /// A walk's findings, and the nodes it has been to: compiled trees share nodes (`a ?: b` holds `a` twice), so a
    /// walk that did not remember them could take 2^depth steps. Past `budget` nodes, the rest counts as reading all.
    private struct Walk {
        var out = InputFields(names: [], wholeInput: false)
        var seen: Set<ObjectIdentifier> = []
        var seenAtRoot: Set<ObjectIdentifier> = []
        var budget = 100_000
    }

    /// The keys of the object this expression builds, when it is an object constructor (`{"a": …, "b": …}`) with
    /// literal keys; nil otherwise.
    public var constructedKeys: [String]? {
        guard ast.kind == .unary, ast.text == "{", !ast.hasTrailers else { return nil }
        var keys: [String] = []
        for (k, _) in ast.pairs {
            guard k.kind == .string else { return nil }
            keys.append(k.text)
        }
        return keys
    }

    private static func visit(_ node: Node?, atRoot: Bool, into walk: inout Walk, depth: Int) {
        guard let node else { return }
        guard depth < 200, walk.budget > 0 else {
            walk.out.wholeInput = true
            return
        }
        let id = ObjectIdentifier(node)
        guard !(atRoot ? walk.seenAtRoot : walk.seen).contains(id) else { return }
        if atRoot { walk.seenAtRoot.insert(id) } else { walk.seen.insert(id) }
        walk.budget -= 1
        let d = depth + 1
        switch node.kind {
        case .name:
            if atRoot { walk.out.names.append((node.text, node.position)) }
        case .variable:
            // `$` at the top, or `$$` anywhere, alone: the whole input.
            if (atRoot && node.text.isEmpty) || node.text == "$" { walk.out.wholeInput = true }
        case .wildcard, .descendant:
            if atRoot { walk.out.wholeInput = true }
        case .path:
            for (i, step) in node.steps.enumerated() {
                if i == 1, node.steps[0].kind == .variable, node.steps[0].text == "$" || (atRoot && node.steps[0].text.isEmpty) {
                    visit(step, atRoot: true, into: &walk, depth: d)
                } else if i == 0, step.kind == .variable, step.text == "$" || (atRoot && step.text.isEmpty) {
                    if node.steps.count == 1 { walk.out.wholeInput = true }
                } else {
                    visit(step, atRoot: i == 0 && atRoot, into: &walk, depth: d)
                }
            }
            for (k, v) in node.groupPairs ?? [] {
                visit(k, atRoot: false, into: &walk, depth: d)
                visit(v, atRoot: false, into: &walk, depth: d)
            }
        case .lambda:
            // A lambda's body reads the record where the lambda is written (`$map(lines, function($x) { $x.n * rate })`).
            visit(node.body, atRoot: atRoot, into: &walk, depth: d)
        case .transform:
            visit(node.pattern, atRoot: false, into: &walk, depth: d)
            visit(node.update, atRoot: false, into: &walk, depth: d)
            visit(node.delete, atRoot: false, into: &walk, depth: d)
        default:
            for child in [node.lhs, node.rhs, node.expression, node.condition, node.then, node.otherwise] {
                visit(child, atRoot: atRoot, into: &walk, depth: d)
            }
            for e in node.expressions + node.arguments { visit(e, atRoot: atRoot, into: &walk, depth: d) }
            for (k, v) in node.pairs {
                visit(k, atRoot: atRoot, into: &walk, depth: d)
                visit(v, atRoot: atRoot, into: &walk, depth: d)
            }
            for t in node.terms { visit(t.expression, atRoot: false, into: &walk, depth: d) }
        }
        // Predicates and stages run on the node's own results, not on the input.
        for p in (node.predicate ?? []) + (node.stages ?? []) { visit(p, atRoot: false, into: &walk, depth: d) }
    }
}
