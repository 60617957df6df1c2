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
        var out = InputFields(names: [], wholeInput: false)
        Self.visit(ast, atRoot: true, into: &out, depth: 0)
        return out
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

    private static func visit(_ node: Node?, atRoot: Bool, into out: inout InputFields, depth: Int) {
        guard let node, depth < 200 else { return }
        let d = depth + 1
        switch node.kind {
        case .name:
            if atRoot { out.names.append((node.text, node.position)) }
        case .variable:
            // `$` at the top, or `$$` anywhere, alone: the whole input.
            if (atRoot && node.text.isEmpty) || node.text == "$" { out.wholeInput = true }
        case .wildcard, .descendant:
            if atRoot { out.wholeInput = true }
        case .path:
            for (i, step) in node.steps.enumerated() {
                if i == 1, node.steps[0].kind == .variable, node.steps[0].text == "$" || (atRoot && node.steps[0].text.isEmpty) {
                    visit(step, atRoot: true, into: &out, depth: d)
                } else if i == 0, step.kind == .variable, step.text == "$" || (atRoot && step.text.isEmpty) {
                    if node.steps.count == 1 { out.wholeInput = true }
                } else {
                    visit(step, atRoot: i == 0 && atRoot, into: &out, depth: d)
                }
            }
            for (k, v) in node.groupPairs ?? [] {
                visit(k, atRoot: false, into: &out, depth: d)
                visit(v, atRoot: false, into: &out, depth: d)
            }
        case .lambda, .transform:
            visit(node.body, atRoot: false, into: &out, depth: d)
            visit(node.pattern, atRoot: false, into: &out, depth: d)
            visit(node.update, atRoot: false, into: &out, depth: d)
            visit(node.delete, atRoot: false, into: &out, depth: d)
        default:
            for child in [node.lhs, node.rhs, node.expression, node.condition, node.then, node.otherwise] {
                visit(child, atRoot: atRoot, into: &out, depth: d)
            }
            for e in node.expressions + node.arguments { visit(e, atRoot: atRoot, into: &out, depth: d) }
            for (k, v) in node.pairs {
                visit(k, atRoot: atRoot, into: &out, depth: d)
                visit(v, atRoot: atRoot, into: &out, depth: d)
            }
            for t in node.terms { visit(t.expression, atRoot: false, into: &out, depth: d) }
        }
        // Predicates and stages run on the node's own results, not on the input.
        for p in (node.predicate ?? []) + (node.stages ?? []) { visit(p, atRoot: false, into: &out, depth: d) }
    }
}
