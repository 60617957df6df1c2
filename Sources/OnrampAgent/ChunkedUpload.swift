/// A batch sent in chunks (`PATCH /api/v1/push/uploads/{batch}`), as a pure state machine: it asks where the upload
/// stands, sends the chunk from there, and follows what the platform answers, so a connection cut mid-batch costs one
/// chunk, not the batch. The pusher does the I/O; `next` says what to do, `took` what came back.
struct ChunkedUpload: Sendable, Equatable {
    enum Action: Sendable, Equatable {
        /// Ask where the upload stands (`GET`).
        case ask
        /// Send bytes `range` of the batch, starting the upload when `range.lowerBound` is 0.
        case send(Range<Int>)
        /// Over: the batch is stored (`.stored`), or the push ends with this outcome (kept, tried again later).
        case finished(PushBackoff.Outcome)
        /// The platform has no chunked uploads: send the batch whole (`PUT`).
        case whole
    }

    /// What came back: the status (nil: no answer), the error code, `Upload-Offset`, `Retry-After`.
    struct Answer: Sendable, Equatable {
        var status: Int?
        var code: String?
        var offset: Int?
        var retryAfter: Double?
    }

    let length: Int
    let chunk: Int
    /// Where the upload stands, as the platform last said (nil: not known yet).
    private(set) var offset: Int?
    private(set) var action: Action = .ask
    /// Answers that moved nothing forward; past `patience` the push ends as transient (the next push asks again).
    private var idle = 0
    static let patience = 3
    /// Uploads the platform dropped for a wrong checksum; a second one ends the push as refused.
    private var restarts = 0
    /// Answers taken; past twice the chunks (and some), the push ends as transient however it moves.
    private var steps = 0

    init(length: Int, chunk: Int) {
        self.length = length
        self.chunk = max(1, chunk)
    }

    /// What to do now.
    func next() -> Action { action }

    /// Takes the answer to the last action.
    mutating func took(_ answer: Answer) {
        steps += 1
        guard steps <= 2 * ((length + chunk - 1) / chunk) + Self.patience + 4 else {
            action = .finished(.transient(retryAfter: nil))
            return
        }
        guard let status = answer.status else {
            action = .finished(.transient(retryAfter: nil))
            return
        }
        switch (action, status) {
        case (.ask, 200):
            move(to: answer.offset ?? 0)
        case (.ask, 404):
            // No upload of this batch: none started (or it was finished or swept), or no such route on the platform.
            if answer.code == "no_route" { action = .whole } else { move(to: 0) }
        case (.send, 202):
            move(to: answer.offset ?? (offset ?? 0))
        case (.send, 200), (.send, 201):
            action = .finished(.stored)
        case (.send, 409) where answer.code == "push.upload_offset":
            move(to: answer.offset ?? 0)
        case (.send, 409) where answer.code == "push.upload_busy":
            action = .finished(.transient(retryAfter: answer.retryAfter))
        case (.send, 404) where answer.code == "no_route":
            action = .whole
        case (.send, 422) where answer.code == "push.upload_checksum":
            // The platform dropped the upload (its bytes did not add up): start again, once more at most.
            restarts += 1
            if restarts > 1 { action = .finished(.refused) } else { move(to: 0) }
        default:
            action = .finished(PushBackoff.outcome(status: status, retryAfter: answer.retryAfter))
        }
    }

    private mutating func move(to at: Int) {
        let at = min(max(at, 0), length)
        idle = at == offset ? idle + 1 : 0
        offset = at
        guard idle < Self.patience else {
            action = .finished(.transient(retryAfter: nil))
            return
        }
        action = .send(at..<min(at + chunk, length))
    }
}
