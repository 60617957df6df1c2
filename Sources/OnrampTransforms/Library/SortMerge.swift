import OnrampCore

/// A k-way merge of sorted runs: a binary heap of each run's next entry, so a record costs O(log k) comparisons
/// (not a scan of every run).
struct SortMerge {
    private let runs: [SortRun]
    private let less: (SortStep.Entry, SortStep.Entry) -> Bool
    private var heap: [(entry: SortStep.Entry, run: Int)] = []

    init(runs: [SortRun], less: @escaping (SortStep.Entry, SortStep.Entry) -> Bool) throws {
        self.runs = runs
        self.less = less
        heap.reserveCapacity(runs.count)
        for (i, run) in runs.enumerated() {
            guard let e = try run.next() else { continue }
            heap.append((e, i))
            siftUp(heap.count - 1)
        }
    }

    /// The smallest entry left, nil when every run is through.
    mutating func next() throws -> SortStep.Entry? {
        guard let top = heap.first else { return nil }
        if let e = try runs[top.run].next() {
            heap[0] = (e, top.run)
        } else {
            let last = heap.removeLast()
            guard !heap.isEmpty else { return top.entry }
            heap[0] = last
        }
        siftDown(0)
        return top.entry
    }

    private mutating func siftUp(_ index: Int) {
        var i = index
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(heap[i].entry, heap[parent].entry) else { return }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var i = index
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < heap.count, less(heap[l].entry, heap[smallest].entry) { smallest = l }
            if r < heap.count, less(heap[r].entry, heap[smallest].entry) { smallest = r }
            guard smallest != i else { return }
            heap.swapAt(i, smallest)
            i = smallest
        }
    }
}
