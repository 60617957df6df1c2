import Foundation
import OnrampCore

/// The records `aggregate` folded into groups it has not given yet, chained per group (newest first), so that a
/// group that fails can report every record it took. Up to `memoryLimit` bytes stay in memory; past that they go to
/// a file in the scratch directory, created 0600 and unlinked at once (nothing is left behind, even by a kill).
final class AggregateMembers {
    /// Where a record is in the log; the chain of a group starts at its newest record.
    typealias Ref = Int
    let memoryLimit: Int
    private let scratchRoot: String?
    private var memory: [UInt8] = []
    /// Bytes already in the file; refs below this are read from it.
    private var fileBytes = 0
    private var fd: Int32 = -1

    init(scratch: String?, memoryLimit: Int = 8 << 20) {
        scratchRoot = scratch
        self.memoryLimit = memoryLimit
    }

    deinit { reset() }

    /// Appends `record` after `previous` (the group's newest record before it).
    func append(_ record: Record, after previous: Ref?) throws -> Ref {
        let ref = fileBytes + memory.count
        let p = record.position
        let position = Array(JSONWriter.string([p.file.map(Value.string) ?? .null, p.line.map { .number(Double($0)) } ?? .null,
                                                p.key.map(Value.string) ?? .null]).utf8)
        let value = Array(JSONWriter.string(record.value).utf8)
        guard position.count <= Int(UInt32.max), value.count <= Int(UInt32.max) else {
            throw OnrampError("aggregate.spill", "a record of \(value.count) bytes is too large to keep for its group")
        }
        withUnsafeBytes(of: Int64(previous ?? -1).littleEndian) { memory += $0 }
        withUnsafeBytes(of: UInt32(position.count).littleEndian) { memory += $0 }
        withUnsafeBytes(of: UInt32(value.count).littleEndian) { memory += $0 }
        memory += position
        memory += value
        if memory.count > memoryLimit { try flush() }
        return ref
    }

    /// Every byte kept so far.
    var bytesKept: Int { fileBytes + memory.count }

    /// The records of the chain that ends at `last`, oldest first.
    func chain(from last: Ref) throws -> [Record] {
        var out: [Record] = []
        var ref: Ref? = last
        while let r = ref {
            let header = try bytes(at: r, count: 16)
            let previous = header.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
            let positionLength = Int(header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) })
            let valueLength = Int(header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) })
            let position: Value, value: Value
            do {
                position = try JSONParser.parse(try bytes(at: r + 16, count: positionLength))
                value = try JSONParser.parse(try bytes(at: r + 16 + positionLength, count: valueLength))
            } catch let e as OnrampError where e.code == "aggregate.spill" {
                throw e
            } catch {
                throw OnrampError("aggregate.spill", "a kept record of a group cannot be read back: \(error)")
            }
            guard case .array(let a) = position, a.count == 3 else {
                throw OnrampError("aggregate.spill", "the spill file of a group is damaged")
            }
            out.append(Record(value, position: SourcePosition(file: a[0].stringValue, line: a[1].numberValue.flatMap { Int(exactly: $0) },
                                                              key: a[2].stringValue)))
            ref = previous < 0 ? nil : Int(previous)
        }
        return out.reversed()
    }

    /// Forgets every record (the groups were given).
    func reset() {
        memory = []
        fileBytes = 0
        if fd >= 0 { close(fd) }
        fd = -1
    }

    private func flush() throws {
        if fd < 0 {
            let root = scratchRoot ?? FileManager.default.temporaryDirectory.path
            let path = "\(root)/onramp-aggregate-\(getpid())-\(UUID().uuidString)"
            fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw OnrampError("aggregate.spill", "cannot create a spill file in \(root): errno \(errno)") }
            unlink(path)
        }
        var done = 0
        while done < memory.count {
            let n = memory[done...].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(fileBytes + done)) }
            guard n > 0 else { throw OnrampError("aggregate.spill", "cannot write the spill file: errno \(errno)") }
            done += n
        }
        fileBytes += memory.count
        memory.removeAll(keepingCapacity: true)
    }

    private func bytes(at ref: Ref, count: Int) throws -> [UInt8] {
        if ref >= fileBytes {
            let start = ref - fileBytes
            guard start + count <= memory.count else { throw OnrampError("aggregate.spill", "a group's record is missing") }
            return Array(memory[start..<start + count])
        }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out[done...].withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(ref + done)) }
            guard n > 0 else { throw OnrampError("aggregate.spill", "cannot read the spill file: errno \(errno)") }
            done += n
        }
        return out
    }
}
