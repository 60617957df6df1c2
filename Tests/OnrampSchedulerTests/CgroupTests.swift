import Foundation
import Logging
@testable import OnrampScheduler
import Testing

/// Worker processes in cgroups of their own below the one the operator delegated; rlimits when there is none.
@Suite(.serialized) struct CgroupTests {
    @Test func pathsAndLimitsAreBuiltFromTheDelegatedParent() throws {
        let parents = try #require(Cgroups.parents(mountRoot: "/sys/fs/cgroup", parentName: "/onramp/workers/"))
        #expect(parents == ["memory": "/sys/fs/cgroup/memory/onramp/workers", "pids": "/sys/fs/cgroup/pids/onramp/workers",
                            "cpu": "/sys/fs/cgroup/cpu/onramp/workers"])
        for bad in ["", "/", "../escape", "onramp/../../x", "./x"] {
            #expect(Cgroups.parents(parentName: bad) == nil, "\(bad)")
        }
        let plan = Cgroups(parents: parents).plan(child: Cgroups.name("run", "r/1 x", "2"), memoryMiB: 4096)
        #expect(plan.directories == ["/sys/fs/cgroup/memory/onramp/workers/run-r-1-x-2", "/sys/fs/cgroup/pids/onramp/workers/run-r-1-x-2",
                                     "/sys/fs/cgroup/cpu/onramp/workers/run-r-1-x-2"])
        #expect(plan.settings == [
            .init(path: "/sys/fs/cgroup/memory/onramp/workers/run-r-1-x-2/memory.limit_in_bytes", value: "4294967296"),
            .init(path: "/sys/fs/cgroup/pids/onramp/workers/run-r-1-x-2/pids.max", value: "512"),
            .init(path: "/sys/fs/cgroup/cpu/onramp/workers/run-r-1-x-2/cpu.shares", value: "512"),
        ])
        #expect(Cgroups.arguments(plan).count == 6 && Cgroups.arguments(nil).isEmpty)
        // Only the controllers that are usable are used.
        let pidsOnly = Cgroups(parents: ["pids": "/p"]).plan(child: "c", memoryMiB: 1)
        #expect(pidsOnly.directories == ["/p/c"] && pidsOnly.settings == [.init(path: "/p/c/pids.max", value: "512")])
    }

    @Test func withoutAUsableParentChildrenKeepTheirRlimits() throws {
        let logger = Logger(label: "test")
        #expect(Cgroups.detect(parentName: nil, logger: logger) == nil)
        #expect(Cgroups.detect(mountRoot: "/proc/no-such-cgroup-root", parentName: "onramp", logger: logger) == nil)
        // A folder that is not a cgroup hierarchy: its directories can be made but no limit file written, so a child
        // gets no cgroup (and nothing is left behind).
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cgroup-\(UUID().uuidString)").path
        for controller in Cgroups.controllers {
            try FileManager.default.createDirectory(atPath: "\(root)/\(controller)", withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fake = try #require(Cgroups.detect(mountRoot: root, parentName: "onramp", logger: logger))
        #expect(fake.child("run-1", memoryMiB: 512) == nil)
        #expect(!FileManager.default.fileExists(atPath: "\(root)/pids/onramp/run-1"))
    }

    /// A real cgroup, where this process may make one: the pids and cpu hierarchies' roots here (the memory
    /// hierarchy's cgroup of this process belongs to whatever runs the tests, so it is left alone).
    @Test func aChildInARealCgroupHasItsLimits() throws {
        let name = "onramp-test-\(UUID().uuidString.prefix(8))"
        guard var parents = Cgroups.parents(parentName: name, controllers: ["pids", "cpu"]),
              FileManager.default.isWritableFile(atPath: "/sys/fs/cgroup/pids"), mkdir(parents["pids"]!, 0o755) == 0 else {
            print("CgroupTests: skipped the real cgroup (cannot create one under /sys/fs/cgroup/pids: \(String(cString: strerror(errno))))")
            return
        }
        defer { for dir in parents.values { rmdir(dir) } }
        if mkdir(parents["cpu"]!, 0o755) != 0 { parents["cpu"] = nil }
        let cgroups = Cgroups(parents: parents)
        let plan = try #require(cgroups.child("run-1", memoryMiB: 512))
        defer { cgroups.remove(plan) }
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer {
            kill(sleeper.processIdentifier, SIGKILL)
            sleeper.waitUntilExit()
        }
        for dir in plan.directories { try Cgroups.write("\(sleeper.processIdentifier)", to: "\(dir)/cgroup.procs") }
        let pidsDir = "\(parents["pids"]!)/run-1"
        #expect(try String(contentsOfFile: "\(pidsDir)/cgroup.procs", encoding: .utf8).contains("\(sleeper.processIdentifier)"))
        #expect(try String(contentsOfFile: "\(pidsDir)/pids.max", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == "512")
        if let cpu = parents["cpu"] {
            #expect(try String(contentsOfFile: "\(cpu)/run-1/cpu.shares", encoding: .utf8).hasPrefix("512"))
        }
        print("CgroupTests: a real cgroup in \(parents.keys.sorted().joined(separator: ", "))")
    }
}
