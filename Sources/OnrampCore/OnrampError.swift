/// An error with a stable code, a message for people, where it happened (a file, a field path), and a fix when
/// one is known (`hint`: "did you mean destination?").
public struct OnrampError: Error, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String
    public let location: String?
    public let hint: String?

    public init(_ code: String, _ message: String, at location: String? = nil, hint: String? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.hint = hint
    }

    public var description: String {
        if let location { return "\(location): \(message) [\(code)]" }
        return "\(message) [\(code)]"
    }
}
