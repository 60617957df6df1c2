import Foundation
import OnrampCore

/// Decodes a connector's validated config into its typed `Decodable` struct (snake_case keys become
/// camelCase properties). A value the schema let through but the struct refuses is an error naming the field.
public enum ConnectorConfig {
    public static func decode<C: Decodable>(_ type: C.Type, from config: Value, at path: String) throws -> C {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(C.self, from: Data(JSONWriter.string(config).utf8))
        } catch let error as DecodingError {
            throw OnrampError("config.invalid", describe(error), at: path + field(error))
        }
    }

    private static func field(_ error: DecodingError) -> String {
        let context: DecodingError.Context
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): context = c
        case .keyNotFound(let key, let c): return (c.codingPath + [key]).map(segment).joined()
        @unknown default: return ""
        }
        return context.codingPath.map(segment).joined()
    }

    private static func segment(_ key: any CodingKey) -> String {
        if let i = key.intValue { return "[\(i)]" }
        return "." + snake(key.stringValue)
    }

    private static func snake(_ s: String) -> String {
        var out = ""
        for c in s {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, _): return "must be \(type)"
        case .valueNotFound: return "required value is missing"
        case .keyNotFound: return "required key is missing"
        case .dataCorrupted(let c): return c.debugDescription
        @unknown default: return "invalid value"
        }
    }
}
