import OnrampCore

/// A successful `check`: what was reached, in words a person reads ("connected to erp.example:5432
/// as initech; 14 tables"). A failed check throws an `OnrampError` instead.
public struct ConnectorCheck: Sendable, Equatable, Codable {
    public var message: String

    public init(message: String) { self.message = message }
}
