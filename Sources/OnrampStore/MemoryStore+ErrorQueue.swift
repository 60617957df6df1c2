import Foundation

extension MemoryStore {
    public func queueErrors(_ entries: [ErrorEntry]) {
        for e in entries where errorEntriesById[e.id] == nil { errorEntriesById[e.id] = e }
    }

    public func errorEntry(id: String) -> ErrorEntry? { errorEntriesById[id] }

    public func errorEntries(tenantId: String, filter: ErrorQueueFilter, limit: Int, after cursor: PageCursor?) -> [ErrorEntry] {
        Array(errorEntriesById.values.filter {
            $0.tenantId == tenantId && filter.matches($0) && (cursor?.precedes(createdAt: $0.createdAt, id: $0.id) ?? true)
        }.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }.prefix(max(limit, 0)))
    }

    public func errorGroups(tenantId: String, filter: ErrorQueueFilter) -> [ErrorGroup] {
        ErrorGroup.count(errorEntriesById.values.filter { $0.tenantId == tenantId && filter.matches($0) })
    }

    public func updateErrorEntries(tenantId: String, ids: [String], _ change: @escaping @Sendable (ErrorEntry) -> ErrorEntry?)
        -> [ErrorEntry] {
        var changed: [ErrorEntry] = []
        for id in ids {
            guard let e = errorEntriesById[id], e.tenantId == tenantId, var next = change(e) else { continue }
            next.id = e.id
            next.tenantId = e.tenantId
            errorEntriesById[id] = next
            changed.append(next)
        }
        return changed
    }
}
