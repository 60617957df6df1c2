/// An error with a stable code, a message for people, and where it happened (a file, a field path).
public struct OnrampError: Error, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String
    public let location: String?

    public init(_ code: String, _ message: String, at location: String? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): \(message) [\(code)]" }
        return "\(message) [\(code)]"
    }
}
