import Foundation

/// `$keys`, `$lookup`, `$spread`, `$merge`, `$each`, `$sift`, `$type`, `$boolean`, `$error`, `$eval`…
enum ObjectFunctions {
    typealias E = FunctionLibrary.Entry

    /// Past `SizeLimits.maxValueDepth` nested arrays, `keys` and `spread` go no deeper (no stack overflow).
    static func keys(_ v: JValue, depth: Int = 0) -> [String] {
        switch v {
        case .array, .jsonArray:
            guard depth <= SizeLimits.maxValueDepth else { return [] }
            var seen: [String] = []
            var set = Set<String>()
            for item in v.arrayValue!.items {
                for k in keys(item, depth: depth + 1) where set.insert(k).inserted { seen.append(k) }
            }
            return seen
        case .object(let o): return Array(o.fields.keys)
        case .jsonObject(let o): return Array(o.keys)
        default: return []
        }
    }

    static func spread(_ v: JValue, depth: Int = 0) -> JValue {
        switch v {
        case .array, .jsonArray:
            guard depth <= SizeLimits.maxValueDepth else { return .sequence() }
            // What appending each item's spread to the result gives, built in place (not copied per item).
            var items: [JValue] = []
            var appended = false
            for item in v.arrayValue!.items {
                let s = spread(item, depth: depth + 1)
                if s.isUndefined { continue }
                appended = true
                if let a = s.arrayValue { items.append(contentsOf: a.items) } else { items.append(s) }
            }
            return appended ? .array(JArray(items)) : .sequence()
        case .object, .jsonObject:
            let o = v.objectValue!
            return .array(JArray(o.fields.map { .object(JObject([$0.key: $0.value])) }, sequence: true))
        default: return v
        }
    }

    nonisolated(unsafe) static let entries: [String: E] = [
        "keys": E(signature: "<x-:a<s>>", arity: 1) { _, a, _ in
            .array(JArray(keys(a.at(0)).map { .string($0) }, sequence: true))
        },
        "lookup": E(signature: "<x-s:x>", arity: 2) { _, a, _ in
            guard let k = a.at(1).stringValue else { return .undefined }
            return Functions.lookup(a.at(0), k)
        },
        "spread": E(signature: "<x-:a<o>>", arity: 1) { _, a, _ in spread(a.at(0)) },
        "merge": E(signature: "<a<o>:o>", arity: 1) { _, a, _ in
            guard let arr = a.at(0).arrayValue else { return .undefined }
            let result = JObject()
            for item in arr.items { if let o = item.objectValue { for (k, v) in o.fields { result.fields[k] = v } } }
            return .object(result)
        },
        "each": E(signature: "<o-f:a>", arity: 2) { ev, a, f in
            guard let o = a.at(0).objectValue, case .function(let fn) = a.at(1) else { return .undefined }
            let result = JArray([], sequence: true)
            for (k, v) in o.fields {
                let r = try ev.callback(fn, v, .string(k), a.at(0), env: f.environment)
                if !r.isUndefined { result.append(r) }
            }
            return .array(result)
        },
        "sift": E(signature: "<o-f?:o>", arity: 2) { ev, a, f in
            guard let o = a.at(0).objectValue, case .function(let fn) = a.at(1) else { return .undefined }
            let result = JObject()
            for (k, v) in o.fields where Functions.boolean(try ev.callback(fn, v, .string(k), a.at(0), env: f.environment)) == true {
                result.fields[k] = v
            }
            return result.fields.isEmpty ? .undefined : .object(result)
        },
        "type": E(signature: "<x:s>", arity: 1) { _, a, _ in Functions.typeName(a.at(0)).map { .string($0) } ?? .undefined },
        "boolean": E(signature: "<x-:b>", arity: 1) { _, a, _ in Functions.boolean(a.at(0)).map { .bool($0) } ?? .undefined },
        "not": E(signature: "<x-:b>", arity: 1) { _, a, _ in Functions.boolean(a.at(0)).map { .bool(!$0) } ?? .undefined },
        "error": E(signature: "<s?:x>", arity: 1) { _, a, _ in
            throw JSONataError("D3137", extra: ["message": a.at(0).stringValue ?? "$error() function evaluated"])
        },
        "assert": E(signature: "<bs?:x>", arity: 2) { _, a, _ in
            if a.at(0) != .bool(true) {
                throw JSONataError("D3141", extra: ["message": a.at(1).stringValue ?? "$assert() statement failed"])
            }
            return .undefined
        },
        "clone": E(signature: "<(oa)-:o>", arity: 1) { _, a, _ in try a.at(0).deepCopy() },
        "eval": E(signature: "<sx?:x>", arity: 2) { ev, a, f in
            guard case .string(let source) = a.at(0) else { return .undefined }
            var input = f.input
            if !a.at(1).isUndefined { input = a.at(1).asEvaluationInput }
            let ast: Node
            do { ast = try Parser.parse(source, stackFloor: ev.stackFloor) } catch {
                throw JSONataError("D3120", value: .string((error as? JSONataError)?.message ?? "\(error)"))
            }
            do { return try ev.evaluate(ast, input, f.environment) } catch let e as JSONataError {
                throw JSONataError("D3121", value: .string(e.message))
            }
        },
    ]
}

extension JValue: Equatable {
    /// Deep equality; values nested past the limit compare unequal (the operators throw D9003 instead).
    static func == (a: JValue, b: JValue) -> Bool { (try? Functions.deepEqual(a, b)) ?? false }
}
