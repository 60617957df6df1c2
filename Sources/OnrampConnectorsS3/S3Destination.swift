import Foundation
import OnrampConnectorKit
import OnrampCore

/// `s3` (destination): writes records as NDJSON or CSV objects named `PREFIX<run time>-<sequence>.<ext>`.
/// `per_batch` (default) acknowledges a batch only once its object is in the bucket (safe with incremental
/// sources); `per_run` streams one object per run (or per `max_records_per_object`) as a multipart upload
/// completed at close. Objects bigger than the part size go up in parts.
struct S3Destination: Destination {
    struct Config: Decodable {
        var prefix: String
        var format: String
        var objects: String
        var maxRecordsPerObject: Int?
        var partSizeMb: Int
    }

    let writer: S3ObjectWriter
    let client: S3Client
    let prefix: String

    func write(_ records: [Record]) async throws -> [RecordOutcome] {
        try await writer.write(records.map(\.value))
        return records.map { _ in .ok(result: nil) }
    }

    func close() async throws { try await writer.finish() }

    func check() async throws -> ConnectorCheck {
        try await client.headBucket()
        return ConnectorCheck(message: "bucket \(client.bucket) reachable; objects go to \(client.uri(prefix))")
    }

    static var configSchema: Value {
        var properties = S3Connection.properties
        properties["prefix"] = ["type": "string", "default": "", "title": "Prefix",
                                "description": "Object names start with this", "examples": ["onramp/orders/"]]
        properties["format"] = ["type": "string", "enum": ["ndjson", "csv"], "default": "ndjson", "title": "Format",
                                "description": "NDJSON (one JSON value a line) or CSV (header from the first record)"]
        properties["objects"] = ["type": "string", "enum": ["per_batch", "per_run"], "default": "per_batch",
                                 "title": "Objects",
                                 "description": .string("per_batch: one object per batch, acknowledged once written (safe "
                                     + "with incremental sources); per_run: one object per run, completed at the end")]
        properties["max_records_per_object"] = ["type": "integer", "minimum": 1, "title": "Records per object",
                                                "description": "Start a new object after this many records",
                                                "examples": [100_000]]
        properties["part_size_mb"] = ["type": "integer", "minimum": 5, "maximum": 512, "default": 8,
                                      "title": "Part size (MiB)", "description": "Multipart upload part size"]
        return ["type": "object", "additionalProperties": false, "required": ["bucket"], "properties": .object(properties)]
    }

    static var spec: DestinationSpec {
        DestinationSpec(
            name: "s3",
            summary: "Writes records as NDJSON or CSV objects to an S3 (or S3-compatible) bucket; multipart for big ones.",
            configSchema: configSchema,
            build: { config, resources in
                let field = "destination.config"
                let connection = try ConnectorConfig.decode(S3Connection.self, from: config, at: field)
                let c = try ConnectorConfig.decode(Config.self, from: config, at: field)
                let client = try connection.client(resources, field: field)
                let writer = S3ObjectWriter(
                    client: client, namePrefix: c.prefix + SigV4.timestamp(resources.clock.now()) + "-", csv: c.format == "csv",
                    perRun: c.objects == "per_run", maxRecords: c.maxRecordsPerObject, partSize: c.partSizeMb << 20)
                return S3Destination(writer: writer, client: client, prefix: c.prefix)
            })
    }
}

/// The objects a destination writes: encodes values, rolls objects over, uploads parts. Nothing is sent
/// before the first write (validating a pipeline builds its destination).
actor S3ObjectWriter {
    let client: S3Client
    let namePrefix: String
    let csv: Bool
    let perRun: Bool
    let maxRecords: Int?
    let partSize: Int
    var columns: [String]?
    var sequence = 0
    var buffer: [UInt8] = []
    var records = 0
    var upload: (key: String, id: String, etags: [String])?
    /// The keys of the objects completed so far.
    private(set) var written: [String] = []

    init(client: S3Client, namePrefix: String, csv: Bool, perRun: Bool, maxRecords: Int?, partSize: Int) {
        self.client = client
        self.namePrefix = namePrefix
        self.csv = csv
        self.perRun = perRun
        self.maxRecords = maxRecords
        self.partSize = partSize
    }

    var contentType: String { csv ? "text/csv; charset=utf-8" : "application/x-ndjson" }

    func write(_ values: [Value]) async throws {
        for value in values {
            if records == 0, csv { buffer += header(for: value) }
            encode(value)
            records += 1
            if let maxRecords, records >= maxRecords { try await finishObject() }
            if buffer.count >= partSize { try await sendPart() }
        }
        if !perRun { try await finishObject() }
    }

    /// Completes the object in progress (the end of a run).
    func finish() async throws { try await finishObject() }

    private func header(for value: Value) -> [UInt8] {
        if columns == nil { columns = Array((value.objectValue ?? ["value": value]).keys) }
        return Array(CSVText.line(columns!).utf8)
    }

    private func encode(_ value: Value) {
        if csv {
            let o = value.objectValue ?? ["value": value]
            buffer += Array(CSVText.line(columns!.map { CSVText.field(o[$0]) }).utf8)
        } else {
            JSONWriter.write(value, into: &buffer)
            buffer.append(0x0A)
        }
    }

    private var currentKey: String {
        let n = String(sequence + 1)
        return namePrefix + String(repeating: "0", count: max(0, 5 - n.count)) + n + (csv ? ".csv" : ".ndjson")
    }

    /// Sends `partSize` bytes of the buffer as the next part, starting the multipart upload if needed.
    private func sendPart() async throws {
        if upload == nil {
            let key = currentKey
            upload = (key, try await client.createMultipartUpload(key, contentType: contentType), [])
        }
        let part = Array(buffer.prefix(partSize))
        buffer.removeFirst(part.count)
        do {
            let etag = try await client.uploadPart(upload!.key, uploadId: upload!.id, number: upload!.etags.count + 1,
                                                   body: part)
            upload!.etags.append(etag)
        } catch {
            await client.abortMultipartUpload(upload!.key, uploadId: upload!.id)
            upload = nil
            throw error
        }
    }

    private func finishObject() async throws {
        guard records > 0 else { return }
        if let u = upload {
            do {
                if !buffer.isEmpty {
                    let etag = try await client.uploadPart(u.key, uploadId: u.id, number: u.etags.count + 1, body: buffer)
                    upload!.etags.append(etag)
                }
                try await client.completeMultipartUpload(u.key, uploadId: u.id, etags: upload!.etags)
            } catch {
                await client.abortMultipartUpload(u.key, uploadId: u.id)
                upload = nil
                throw error
            }
            written.append(u.key)
        } else {
            let key = currentKey
            try await client.put(key, body: buffer, contentType: contentType)
            written.append(key)
        }
        upload = nil
        buffer = []
        records = 0
        sequence += 1
    }
}
