/// A scope of variable bindings; lookups walk outward to the enclosing frames.
final class Frame {
    private var bindings: [String: JValue] = [:]
    let parent: Frame?

    init(parent: Frame?) { self.parent = parent }

    func bind(_ name: String, _ value: JValue) { bindings[name] = value }

    func lookup(_ name: String) -> JValue {
        var f: Frame? = self
        while let frame = f {
            if let v = frame.bindings[name] { return v }
            f = frame.parent
        }
        return .undefined
    }

    /// A frame whose bindings are a tuple's fields (`@` is the context item).
    static func fromTuple(_ parent: Frame, _ tuple: JObject) -> Frame {
        let frame = Frame(parent: parent)
        for (k, v) in tuple.fields { frame.bindings[k] = v }
        return frame
    }
}
