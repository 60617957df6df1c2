import Foundation
import OnrampExpression

// Usage: jsonata-conformance PATH-TO-SUITE [--verbose] [--list-failures]
let args = CommandLine.arguments.dropFirst()
guard let path = args.first(where: { !$0.hasPrefix("--") }) else {
    FileHandle.standardError.write(Data("usage: jsonata-conformance PATH-TO-SUITE [--verbose] [--list-failures]\n".utf8))
    exit(2)
}
let outcomes = try ConformanceSuite(root: URL(fileURLWithPath: path)).run()
var byGroup: [String: (Int, Int)] = [:]
for o in outcomes { byGroup[o.group, default: (0, 0)].0 += o.passed ? 1 : 0; byGroup[o.group, default: (0, 0)].1 += o.passed ? 0 : 1 }
if args.contains("--list-failures") {
    for o in outcomes where !o.passed { print(o.name) }
} else {
    for (group, (_, failed)) in byGroup.sorted(by: { $0.key < $1.key }) where failed > 0 {
        print("\(group): \(failed) failed")
    }
    if args.contains("--verbose") {
        for o in outcomes where !o.passed { print("  \(o.name): \(o.detail)") }
    }
}
let passed = outcomes.filter(\.passed).count
print("jsonata: \(passed) passed, \(outcomes.count - passed) failed")
