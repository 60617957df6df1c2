import Foundation
@testable import OnrampConnectorsS3
import Testing

/// AWS's published Signature Version 4 examples (S3 "Examples: Signature Calculations" and the generic
/// test suite): the same inputs must give the same signatures.
struct SigV4Tests {
    static let s3Key = AWSCredentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE",
                                      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let day = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    @Test func getObjectExample() {
        let signer = SigV4(credentials: Self.s3Key, region: "us-east-1")
        let headers = [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
                       ("x-amz-content-sha256", SigV4.emptyPayloadHash), ("x-amz-date", "20130524T000000Z")]
        let (canonical, signed) = signer.canonicalRequest(method: "GET", path: "/test.txt", query: [], headers: headers,
                                                          payloadHash: SigV4.emptyPayloadHash)
        #expect(canonical == """
        GET
        /test.txt

        host:examplebucket.s3.amazonaws.com
        range:bytes=0-9
        x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
        x-amz-date:20130524T000000Z

        host;range;x-amz-content-sha256;x-amz-date
        e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
        """)
        #expect(signed == "host;range;x-amz-content-sha256;x-amz-date")
        #expect(signer.authorization(method: "GET", path: "/test.txt", query: [], headers: headers,
                                     payloadHash: SigV4.emptyPayloadHash, date: Self.day)
            == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func putObjectExampleEncodesTheKey() {
        let signer = SigV4(credentials: Self.s3Key, region: "us-east-1")
        let payload = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        let headers = [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("Host", "examplebucket.s3.amazonaws.com"),
                       ("x-amz-content-sha256", payload), ("x-amz-date", "20130524T000000Z"),
                       ("x-amz-storage-class", "REDUCED_REDUNDANCY")]
        let auth = signer.authorization(method: "PUT", path: "/test$file.text", query: [], headers: headers,
                                        payloadHash: payload, date: Self.day)
        #expect(auth.hasSuffix("Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"))
        #expect(signer.canonicalRequest(method: "PUT", path: "/test$file.text", query: [], headers: headers,
                                        payloadHash: payload).text.hasPrefix("PUT\n/test%24file.text\n\n"))
    }

    @Test func listObjectsExampleSortsTheQuery() {
        let signer = SigV4(credentials: Self.s3Key, region: "us-east-1")
        let headers = [("host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", SigV4.emptyPayloadHash),
                       ("x-amz-date", "20130524T000000Z")]
        let auth = signer.authorization(method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")],
                                        headers: headers, payloadHash: SigV4.emptyPayloadHash, date: Self.day)
        #expect(auth.hasSuffix("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
    }

    /// The generic suite's get-vanilla-query-order-key-case (service "service", no payload header signed).
    @Test func genericSuiteVanillaQueryOrder() {
        let key = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        let signer = SigV4(credentials: key, region: "us-east-1", service: "service")
        let auth = signer.authorization(method: "GET", path: "/", query: [("Param2", "value2"), ("Param1", "value1")],
                                        headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")],
                                        payloadHash: SigV4.emptyPayloadHash,
                                        date: Date(timeIntervalSince1970: 1_440_938_160))
        #expect(auth == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,"
            + "SignedHeaders=host;x-amz-date,Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test func encodingAndTimestamps() {
        #expect(SigV4.encode("a b/c+d~é", keepSlash: true) == "a%20b/c%2Bd~%C3%A9")
        #expect(SigV4.encode("a/b", keepSlash: false) == "a%2Fb")
        #expect(SigV4.timestamp(Self.day) == "20130524T000000Z")
        #expect(SigV4.timestamp(Date(timeIntervalSince1970: 1_440_938_160)) == "20150830T123600Z")
    }

    @Test func globsStayWithinSegmentsUnlessDoubled() {
        #expect(S3Glob.matches("exports/*.csv", "exports/a.csv"))
        #expect(!S3Glob.matches("exports/*.csv", "exports/2026/a.csv"))
        #expect(!S3Glob.matches("exports/*.csv", "exports/a.csv.bak"))
        #expect(S3Glob.matches("exports/**/*.csv", "exports/2026/11/a.csv"))
        #expect(S3Glob.matches("exports/**/*.csv", "exports/a.csv"))
        #expect(S3Glob.matches("exports/orders-?.csv", "exports/orders-1.csv"))
        #expect(!S3Glob.matches("exports/orders-?.csv", "exports/orders-12.csv"))
        #expect(S3Glob.matches("exports/orders-[0-9].csv", "exports/orders-7.csv"))
        #expect(!S3Glob.matches("exports/orders-[!0-9].csv", "exports/orders-7.csv"))
    }

    @Test func xmlTextIsDecoded() {
        let xml = "<R><Contents><Key>a&amp;b &lt;c&gt; &#233;&#x41;</Key></Contents><Contents><Key>x</Key></Contents>"
            + "<IsTruncated>true</IsTruncated><Empty/></R>"
        #expect(S3XML(xml).groups["Contents"]?.compactMap { $0["Key"] } == ["a&b <c> éA", "x"])
        #expect(S3XML.text("IsTruncated", in: xml) == "true")
        #expect(S3XML.text("Missing", in: xml) == nil)
        // An answer cut short keeps what came before the fault.
        #expect(S3XML.text("Code", in: "<Error><Code>NoSuchKey</Code><Message>The spec") == "NoSuchKey")
    }
}
