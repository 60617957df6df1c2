/// A scope of variable bindings; lookups walk outward to the enclosing frames.
/// Evaluation frames hold a handful of names, so they are scanned linearly; only the shared root
/// (the function library) is hashed.
final class Frame {
    /// The first binding is held inline (most frames have one: `$`, a lambda's parameter).
    private var firstName: String?
    private var firstValue: JValue = .undefined
    private var names: [String] = []
    private var values: [JValue] = []
    private let table: [String: JValue]?
    private let isRoot: Bool
    let parent: Frame?

    init(parent: Frame?) {
        self.parent = parent
        table = nil
        isRoot = false
    }

    /// A frame with fixed, hashed bindings (the function library's root).
    init(root: [String: JValue]) {
        parent = nil
        table = root
        isRoot = true
    }

    /// A frame with fixed, hashed bindings below the root: a function registry's, built once and shared
    /// (read-only) by every evaluation with that registry.
    init(fixed: [String: JValue], parent: Frame) {
        self.parent = parent
        table = fixed
        isRoot = false
    }

    func bind(_ name: String, _ value: JValue) {
        if firstName == nil || firstName == name {
            firstName = name
            firstValue = value
            return
        }
        if let i = names.firstIndex(of: name) { values[i] = value; return }
        names.append(name)
        values.append(value)
    }

    /// What a `$name` node names: the node knows what the library binds to the name (no hash).
    func lookup(variable node: Node) -> JValue {
        lookupBound(node.text) ?? node.libraryValue
    }

    /// What a frame below the root binds to `name`; nil when none does. The walk does not retain
    /// the frames it passes: each is kept alive by the one below it.
    private func lookupBound(_ name: String) -> JValue? {
        let count = name.utf8.count
        unowned(unsafe) var frame = self
        while !frame.isRoot {
            if let table = frame.table, let value = table[name] { return value }
            if let first = frame.firstName {
                var i = frame.names.count - 1
                while i >= 0 {
                    let candidate = frame.names[i]
                    if candidate.utf8.count == count && candidate == name { return frame.values[i] }
                    i -= 1
                }
                if first.utf8.count == count, first == name { return frame.firstValue }
            }
            guard let parent = frame.parent else { return nil }
            frame = parent
        }
        return nil
    }

    /// What `name` is bound to, in these frames or else in the function library.
    func lookup(_ name: String) -> JValue {
        lookupBound(name) ?? FunctionLibrary.root.table?[name] ?? .undefined
    }

    /// A frame whose bindings are a tuple's fields (`@` is the context item).
    static func fromTuple(_ parent: Frame, _ tuple: JObject) -> Frame {
        let frame = Frame(parent: parent)
        for (k, v) in tuple.fields { frame.bind(k, v) }
        return frame
    }
}
