import Foundation
@testable import OnrampConnectorsS3
import OnrampCore
import Testing

/// EKS IRSA: STS's `AssumeRoleWithWebIdentity` answer (as moto's STS gives it, fractions of a second included) read
/// into credentials with their expiry; an answer without them, and a missing token file, are clear errors.
@Suite struct WebIdentityCredentialsTests {
    static let answer = """
        <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleWithWebIdentityResult>
            <Credentials>
              <SessionToken>FQoGZXIvYXdzEBYaD-token</SessionToken>
              <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY</SecretAccessKey>
              <Expiration>2026-12-04T22:51:45.123456Z</Expiration>
              <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
            </Credentials>
            <SubjectFromWebIdentityToken>system:serviceaccount:onramp:onramp</SubjectFromWebIdentityToken>
          </AssumeRoleWithWebIdentityResult>
        </AssumeRoleWithWebIdentityResponse>
        """

    @Test func anAssumedRoleAnswerGivesTheRoleCredentialsAndTheirExpiry() throws {
        let c = try CredentialProvider.assumedRole(Self.answer, role: "arn:aws:iam::123456789012:role/onramp")
        #expect(c.accessKeyId == "ASIAIOSFODNN7EXAMPLE" && c.secretAccessKey.hasSuffix("EXAMPLEKEY"))
        #expect(c.sessionToken == "FQoGZXIvYXdzEBYaD-token")
        #expect(c.expiration.map { Int($0.timeIntervalSince1970) } == 1_796_424_705, "\(c.expiration as Any)")
        #expect(CredentialProvider.date("2026-12-04T22:51:45Z") != nil)
        #expect(throws: OnrampError.self) { try CredentialProvider.assumedRole("<Error><Code>AccessDenied</Code></Error>", role: "r") }
    }

    @Test func aMissingTokenFileIsAClearError() async throws {
        let env = ["AWS_WEB_IDENTITY_TOKEN_FILE": "/nonexistent/onramp-token", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/onramp",
                   "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"]
        let provider = try CredentialProvider.chain(accessKeyId: nil, secretAccessKey: nil, sessionToken: nil, environment: env,
                                                    instanceRole: true, field: "test", http: MotoS3.http)
        do {
            _ = try await provider.credentials()
            Issue.record("no error")
        } catch let e as OnrampError {
            #expect(e.message.contains("AWS_WEB_IDENTITY_TOKEN_FILE"), "\(e)")
        }
    }
}
