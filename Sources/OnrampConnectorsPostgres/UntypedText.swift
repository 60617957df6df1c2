import PostgresNIO

/// A bind parameter sent as text with no type: the server gives it the type its place in the
/// statement asks for (the column it is compared with or inserted into) and parses the text there.
struct UntypedText: PostgresDynamicTypeEncodable {
    var text: String

    var psqlType: PostgresDataType { PostgresDataType(0) }
    var psqlFormat: PostgresFormat { .text }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer,
                                                  context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeString(text)
    }
}
