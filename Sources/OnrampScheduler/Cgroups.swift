import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// cgroup v1 limits for worker child processes (`exec-run`, `exec-preview`), in a cgroup the operator delegated
/// (`--cgroup-parent NAME`: `/sys/fs/cgroup/<controller>/NAME`, created if it can be): each child gets a cgroup of
/// its own below it with a memory cap that counts page cache (`memory.limit_in_bytes`), a process count
/// (`pids.max`) and a CPU weight below the API's (`cpu.shares`). Where no controller can be used the children keep
/// their rlimits only, which is logged once.
public struct Cgroups: Sendable, Equatable {
    public static let controllers = ["memory", "pids", "cpu"]
    /// Processes a child and its plugins may have, and its CPU weight (the default is 1024).
    public static let maxProcesses = 512
    public static let cpuShares = 512

    /// The parent directory per usable controller.
    public let parents: [String: String]

    public init(parents: [String: String]) { self.parents = parents }

    /// One child's cgroup: a directory per controller and what is written into each before the child joins.
    public struct Plan: Sendable, Equatable {
        public var directories: [String]
        public var settings: [Setting]
    }

    public struct Setting: Sendable, Equatable {
        public var path: String
        public var value: String
    }

    /// The plan for child `name` with `memoryMiB` (pure: nothing touches the disk).
    public func plan(child name: String, memoryMiB: Int) -> Plan {
        var plan = Plan(directories: [], settings: [])
        for controller in Self.controllers {
            guard let parent = parents[controller] else { continue }
            let dir = "\(parent)/\(name)"
            plan.directories.append(dir)
            switch controller {
            case "memory":
                plan.settings.append(Setting(path: "\(dir)/memory.limit_in_bytes", value: "\(Int64(memoryMiB) << 20)"))
            case "pids": plan.settings.append(Setting(path: "\(dir)/pids.max", value: "\(Self.maxProcesses)"))
            default: plan.settings.append(Setting(path: "\(dir)/cpu.shares", value: "\(Self.cpuShares)"))
            }
        }
        return plan
    }

    /// The parents under `mountRoot` for `parentName` (a relative path without `..`), pure; nil for a name that
    /// could leave the hierarchy.
    public static func parents(mountRoot: String = "/sys/fs/cgroup", parentName: String,
                               controllers: [String] = Cgroups.controllers) -> [String: String]? {
        let parts = parentName.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.isEmpty, parts.allSatisfy({ $0 != "." && $0 != ".." }) else { return nil }
        let relative = parts.joined(separator: "/")
        return Dictionary(uniqueKeysWithValues: controllers.map { ($0, "\(mountRoot)/\($0)/\(relative)") })
    }

    /// The usable controllers for `parentName`: each parent is created if missing and kept if a child directory can
    /// be made in it; the others are dropped. Nil (logged once) when none is usable.
    public static func detect(mountRoot: String = "/sys/fs/cgroup", parentName: String?, logger: Logger) -> Cgroups? {
        guard let parentName else {
            logger.info("worker processes are limited by rlimits only (no --cgroup-parent)")
            return nil
        }
        guard let candidates = parents(mountRoot: mountRoot, parentName: parentName) else {
            logger.warning("--cgroup-parent must be a relative cgroup path; worker processes have rlimits only")
            return nil
        }
        var usable: [String: String] = [:]
        var refused: [String] = []
        for (controller, parent) in candidates.sorted(by: { $0.key < $1.key }) {
            let probe = "\(parent)/probe-\(getpid())"
            if (mkdir(parent, 0o755) == 0 || errno == EEXIST), mkdir(probe, 0o755) == 0 {
                rmdir(probe)
                usable[controller] = parent
            } else {
                refused.append("\(controller) (\(String(cString: strerror(errno))))")
            }
        }
        if usable.isEmpty {
            logger.warning("cannot create cgroups under \(parentName); worker processes are limited by rlimits only",
                           metadata: ["refused": "\(refused.joined(separator: ", "))"])
            return nil
        }
        if !refused.isEmpty {
            logger.warning("some cgroup controllers are not usable", metadata: ["refused": "\(refused)"])
        }
        return Cgroups(parents: usable)
    }

    /// Creates the plan's directories and writes its limits; throws (after removing what it made) if any fails.
    public func create(_ plan: Plan) throws {
        do {
            for dir in plan.directories where mkdir(dir, 0o755) != 0 && errno != EEXIST {
                throw CgroupError("cannot create \(dir): \(String(cString: strerror(errno)))")
            }
            for setting in plan.settings { try Self.write(setting.value, to: setting.path) }
        } catch {
            remove(plan)
            throw error
        }
    }

    /// The plan for a child, created; nil (the child keeps its rlimits) when it cannot be.
    public func child(_ name: String, memoryMiB: Int) -> Plan? {
        let plan = plan(child: name, memoryMiB: memoryMiB)
        do {
            try create(plan)
            return plan
        } catch {
            return nil
        }
    }

    /// A child cgroup's name from its parts: letters, digits and `-` only.
    public static func name(_ parts: String...) -> String {
        String(parts.joined(separator: "-").map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" })
    }

    /// The child's `--cgroup DIR` arguments.
    public static func arguments(_ plan: Plan?) -> [String] {
        plan.map { $0.directories.flatMap { ["--cgroup", $0] } } ?? []
    }

    /// Moves the calling process into every directory of `plan` (what a child does first).
    public static func join(_ directories: [String]) throws {
        for dir in directories { try write("\(getpid())", to: "\(dir)/cgroup.procs") }
    }

    /// Removes the child's directories (they are empty once its processes ended).
    public func remove(_ plan: Plan) {
        for dir in plan.directories { rmdir(dir) }
    }

    static func write(_ value: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CgroupError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count else {
            throw CgroupError("cannot write \(value) to \(path): \(String(cString: strerror(errno)))")
        }
    }
}

public struct CgroupError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
