import ArgumentParser
import Foundation
import OnrampCore
import OnrampServer
import OnrampStoreS3

/// Where the master keys come from: the keyring in the data directory, its keys encrypted by AWS KMS with
/// `--kms-key` (envelope encryption), or `ONRAMP_MASTER_KEY`.
struct KeyOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "An AWS KMS key (id, ARN or alias/NAME) that encrypts the keyring's keys at rest; credentials from the AWS "
            + "chain (AWS_ACCESS_KEY_ID…, the instance role), region from AWS_REGION.", valueName: "KEY"))
    var kmsKey: String? = ProcessInfo.processInfo.environment["ONRAMP_KMS_KEY"]
    @Option(help: ArgumentHelp("The KMS endpoint (default https://kms.REGION.amazonaws.com).", valueName: "URL"))
    var kmsEndpoint: String? = ProcessInfo.processInfo.environment["ONRAMP_KMS_ENDPOINT"]

    /// The KMS wrapper, when a KMS key is given.
    func wrapper() throws -> (any KeyWrapper)? {
        guard let kmsKey else { return nil }
        do {
            return KMSKeyWrapper(client: try KMSClient(keyId: kmsKey, region: nil, endpoint: kmsEndpoint,
                                                       environment: ProcessInfo.processInfo.environment))
        } catch let e as OnrampError {
            throw ValidationError("\(e.location ?? "--kms-key"): \(e.message)")
        }
    }

    /// The ring of `data`: wrapped by KMS when a key is given, else as on disk (or `ONRAMP_MASTER_KEY`).
    func ring(data: String) async throws -> KeyRing {
        guard let wrapper = try wrapper() else { return try KeyRing.load(directory: data) }
        return try await KeyRing.load(directory: data, wrapper: wrapper)
    }
}

/// The keyring's keys encrypted by a KMS key, each bound to its id by the encryption context.
struct KMSKeyWrapper: KeyWrapper {
    let client: KMSClient
    var name: String { "AWS KMS key \(client.keyId)" }

    static func context(_ id: Data) -> [String: String] { ["onramp": "master-key", "key_id": Hex.string(id)] }

    func wrap(_ key: Data, id: Data) async throws -> Data { try await client.encrypt(key, context: Self.context(id)) }
    func unwrap(_ blob: Data, id: Data) async throws -> Data { try await client.decrypt(blob, context: Self.context(id)) }
}
