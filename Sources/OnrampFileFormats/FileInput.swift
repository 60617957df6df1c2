import OnrampCore

/// A file a format reader parses: a local path (a file in a tenant's area, or an object downloaded to
/// the run's scratch folder), the name positions and errors show, and a fingerprint for incremental reads.
public struct FileInput: Sendable, Equatable {
    public var path: String
    public var name: String
    public var fingerprint: String

    public init(path: String, name: String, fingerprint: String) {
        self.path = path
        self.name = name
        self.fingerprint = fingerprint
    }
}

/// How an incremental file read remembers a finished file: the checkpoint after `file`, given the one before.
public typealias FileCheckpointing = @Sendable (_ prior: Value?, _ file: FileInput) -> Value
