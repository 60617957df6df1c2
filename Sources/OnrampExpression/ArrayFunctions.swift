import Foundation

/// `$map`, `$filter`, `$reduce`, `$sort`, `$zip` and the other array and higher-order functions.
enum ArrayFunctions {
    typealias E = FunctionLibrary.Entry

    static func items(_ v: JValue) -> [JValue] { v.arrayValue?.items ?? (v.isUndefined ? [] : [v]) }

    nonisolated(unsafe) static let entries: [String: E] = [
        "map": E(signature: "<af>", arity: 2) { ev, a, f in
            guard let arr = a.at(0).arrayValue, case .function(let fn) = a.at(1) else { return .undefined }
            let result = JArray([], sequence: true)
            for (i, item) in arr.items.enumerated() {
                let r = try ev.callback(fn, item, i, a.at(0), env: f.environment)
                if !r.isUndefined { result.append(r) }
            }
            return .array(result)
        },
        "filter": E(signature: "<af>", arity: 2) { ev, a, f in
            guard let arr = a.at(0).arrayValue, case .function(let fn) = a.at(1) else { return .undefined }
            let result = JArray([], sequence: true)
            for (i, item) in arr.items.enumerated() where Functions.boolean(try ev.callback(fn, item, i, a.at(0), env: f.environment)) == true {
                result.append(item)
            }
            return .array(result)
        },
        "single": E(signature: "<af?>", arity: 2) { ev, a, f in
            guard let arr = a.at(0).arrayValue else { return .undefined }
            var found: JValue?
            for (i, item) in arr.items.enumerated() {
                var ok = true
                if case .function(let fn) = a.at(1) {
                    ok = Functions.boolean(try ev.callback(fn, item, i, a.at(0), env: f.environment)) == true
                }
                if ok {
                    if found != nil { throw JSONataError("D3138") }
                    found = item
                }
            }
            guard let found else { throw JSONataError("D3139") }
            return found
        },
        "reduce": E(signature: "<afj?:j>", arity: 3) { ev, a, f in
            guard let arr = a.at(0).arrayValue, case .function(let fn) = a.at(1) else { return .undefined }
            if fn.arity < 2 { throw JSONataError("D3050", index: 1) }
            var result: JValue
            var index: Int
            if a.at(2).isUndefined && !arr.items.isEmpty {
                result = arr.items[0]
                index = 1
            } else {
                result = a.at(2)
                index = 0
            }
            while index < arr.count {
                var args = [result, arr.items[index]]
                if fn.arity >= 3 { args.append(.number(Double(index))) }
                if fn.arity >= 4 { args.append(a.at(0)) }
                result = try ev.apply(fn, args, input: .undefined, env: f.environment)
                index += 1
            }
            return result
        },
        "zip": E(signature: "<a+>", arity: 8) { _, a, _ in
            let arrays = a.map { $0.arrayValue?.items ?? [] }
            let n = arrays.map(\.count).min() ?? 0
            return .array(JArray((0..<n).map { i in .array(JArray(arrays.map { $0[i] })) }))
        },
        "append": E(signature: "<xx:a>", arity: 2) { _, a, _ in
            try SizeLimits.checkItems((a.at(0).arrayCount ?? 1) + (a.at(1).arrayCount ?? 1))
            return Functions.append(a.at(0), a.at(1))
        },
        "exists": E(signature: "<x:b>", arity: 1) { _, a, _ in .bool(!a.at(0).isUndefined) },
        "reverse": E(signature: "<a:a>", arity: 1) { _, a, _ in
            guard let arr = a.at(0).arrayValue else { return .undefined }
            if arr.count <= 1 { return a.at(0) }
            return .array(JArray(arr.items.reversed()))
        },
        "sort": E(signature: "<af?:a>", arity: 2) { ev, a, f in
            guard let arr = a.at(0).arrayValue else { return .undefined }
            if arr.count <= 1 { return a.at(0) }
            let sorted: [JValue]
            if case .function(let fn) = a.at(1) {
                sorted = try Functions.mergeSort(arr.items) { x, y in
                    Functions.boolean(try ev.apply(fn, [x, y], input: .undefined, env: f.environment)) == true
                }
            } else if arr.items.allSatisfy({ $0.numberValue != nil }) {
                sorted = try Functions.mergeSort(arr.items) { x, y in x.numberValue! > y.numberValue! }
            } else if arr.items.allSatisfy({ $0.stringValue != nil }) {
                sorted = try Functions.mergeSort(arr.items) { x, y in Functions.compareStrings(x.stringValue!, y.stringValue!) > 0 }
            } else {
                throw JSONataError("D3070", index: 1)
            }
            return .array(JArray(sorted))
        },
        "shuffle": E(signature: "<a:a>", arity: 1) { _, a, _ in
            guard let arr = a.at(0).arrayValue else { return .undefined }
            if arr.count <= 1 { return a.at(0) }
            return .array(JArray(arr.items.shuffled()))
        },
        "distinct": E(signature: "<x:x>", arity: 1) { ev, a, _ in
            guard let arr = a.at(0).arrayValue, arr.count > 1 else { return a.at(0) }
            var out: [JValue] = []
            // Quadratic: the time limit is checked as it goes.
            for v in arr.items {
                let seen = try out.contains { try ev.checkTime(); return try Functions.deepEqual($0, v) }
                if !seen { out.append(v) }
            }
            return .array(JArray(out, sequence: arr.sequence))
        },
    ]
}
