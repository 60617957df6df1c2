@testable import OnrampAgent
import Testing

/// The chunked push's decisions, without sockets: where it resumes, what ends it, when it falls back to one PUT.
@Suite struct ChunkedUploadTests {
    typealias Answer = ChunkedUpload.Answer

    @Test func aNewUploadGoesChunkByChunkToTheStoredBatch() {
        var u = ChunkedUpload(length: 2500, chunk: 1000)
        #expect(u.next() == .ask)
        u.took(Answer(status: 404, code: "not_found"))
        #expect(u.next() == .send(0..<1000))
        u.took(Answer(status: 202, offset: 1000))
        #expect(u.next() == .send(1000..<2000))
        u.took(Answer(status: 202, offset: 2000))
        #expect(u.next() == .send(2000..<2500))
        u.took(Answer(status: 201))
        #expect(u.next() == .finished(.stored))
    }

    @Test func anUploadCutOffResumesWhereThePlatformSaysItStands() {
        var u = ChunkedUpload(length: 2500, chunk: 1000)
        u.took(Answer(status: 200, offset: 2000))  // an earlier push got two chunks in
        #expect(u.next() == .send(2000..<2500))
        // Its chunk was taken but the answer lost: the platform says where it stands now.
        var v = ChunkedUpload(length: 2500, chunk: 1000)
        v.took(Answer(status: 200, offset: 1000))
        v.took(Answer(status: 409, code: "push.upload_offset", offset: 2000))
        #expect(v.next() == .send(2000..<2500))
        // Every chunk in, the batch not stored (that request failed): an empty chunk at the end stores it.
        var w = ChunkedUpload(length: 2500, chunk: 1000)
        w.took(Answer(status: 200, offset: 2500))
        #expect(w.next() == .send(2500..<2500))
        w.took(Answer(status: 201))
        #expect(w.next() == .finished(.stored))
    }

    @Test func outagesAndRefusalsEndThePushAndKeepTheBatch() {
        var noAnswer = ChunkedUpload(length: 10, chunk: 4)
        noAnswer.took(Answer(status: nil))
        #expect(noAnswer.next() == .finished(.transient(retryAfter: nil)))
        var busy = ChunkedUpload(length: 10, chunk: 4)
        busy.took(Answer(status: 404))
        busy.took(Answer(status: 409, code: "push.upload_busy", retryAfter: 2))
        #expect(busy.next() == .finished(.transient(retryAfter: 2)))
        var revoked = ChunkedUpload(length: 10, chunk: 4)
        revoked.took(Answer(status: 401, code: "unauthorized"))
        #expect(revoked.next() == .finished(.refused))
        var limited = ChunkedUpload(length: 10, chunk: 4)
        limited.took(Answer(status: 404))
        limited.took(Answer(status: 429, code: "rate_limited", retryAfter: 5))
        #expect(limited.next() == .finished(.transient(retryAfter: 5)))
    }

    @Test func aPlatformWithoutChunkedUploadsGetsTheBatchWhole() {
        var u = ChunkedUpload(length: 10, chunk: 4)
        u.took(Answer(status: 404, code: "no_route"))
        #expect(u.next() == .whole)
    }

    @Test func itStopsWhenNothingMovesAndRestartsABadUploadOnce() {
        var stuck = ChunkedUpload(length: 10, chunk: 4)
        stuck.took(Answer(status: 200, offset: 4))
        for _ in 0..<2 {
            stuck.took(Answer(status: 202, offset: 4))
            #expect(stuck.next() == .send(4..<8))
        }
        stuck.took(Answer(status: 202, offset: 4))
        #expect(stuck.next() == .finished(.transient(retryAfter: nil)))
        var bad = ChunkedUpload(length: 10, chunk: 10)
        bad.took(Answer(status: 404))
        bad.took(Answer(status: 422, code: "push.upload_checksum"))
        #expect(bad.next() == .send(0..<10))
        bad.took(Answer(status: 422, code: "push.upload_checksum"))
        #expect(bad.next() == .finished(.refused))
    }
}
