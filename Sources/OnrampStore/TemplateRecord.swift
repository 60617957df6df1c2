import Foundation
import OnrampCore

/// A pipeline with blanks (`${param:NAME}`), owned by the platform's engineers: onboarding a
/// customer is filling in the blanks, no code.
public struct TemplateRecord: Sendable, Equatable {
    public var name: String
    public var description: String
    public var document: Value
    public var updatedAt: Date
    public init(name: String, description: String, document: Value, updatedAt: Date) {
        self.name = name
        self.description = description
        self.document = document
        self.updatedAt = updatedAt
    }
}

public protocol TemplateStore: Sendable {
    func saveTemplate(_ template: TemplateRecord) async throws
    func templates() async throws -> [TemplateRecord]
    func template(name: String) async throws -> TemplateRecord?
}
